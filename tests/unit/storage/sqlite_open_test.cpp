// Opening refuses files that are not ours, never modifying them, and says which file.
#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <random>

#include "storage/sqlite/schema.hpp"
#include "storage/sqlite/sqlite_storage.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

using namespace ferry;
using namespace ferry::storage;
using test::TempDb;
namespace fs = std::filesystem;

namespace {

std::string bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) {
    c = static_cast<char>(gen());
  }
  return s;
}

void write_file(const fs::path& p, const std::string& bytes, std::size_t offset = 0) {
  std::fstream out(p, std::ios::binary | std::ios::in | std::ios::out);
  if (!out) {
    out.open(p, std::ios::binary | std::ios::out);
  }
  out.seekp(static_cast<std::streamoff>(offset));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void raw_sql(const fs::path& p, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(p.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  INFO((err != nullptr ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

/// First column of the first row of `sql` as an integer, -1 when there is no row.
std::int64_t raw_int(const fs::path& p, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(p.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
  INFO(sqlite3_errmsg(db));
  std::int64_t value = -1;
  if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    value = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
  return value;
}

/// The StorageError message of opening `p`, or "" if it opened.
std::string open_error(const fs::path& p) {
  try {
    SqliteStorage s({p});
  } catch (const StorageError& e) {
    return e.what();
  }
  return "";
}

void check_refused_untouched(const fs::path& p, const std::string& why) {
  const auto before = bytes_of(p);
  const auto error = open_error(p);
  INFO(error);
  CHECK_THAT(error, Catch::Contains(p.string()) && Catch::Contains(why));
  CHECK(bytes_of(p) == before);
  CHECK_FALSE(fs::exists(p.string() + "-wal"));
}

}  // namespace

TEST_CASE("sqlite: a file of random bytes is refused and left alone", "[storage][sqlite]") {
  TempDb db;
  write_file(db.path(), random_bytes(10000, 1));
  check_refused_untouched(db.path(), "not a SQLite database");
}

TEST_CASE("sqlite: a corrupt Ferry database is refused and left alone", "[storage][sqlite]") {
  TempDb db;
  {
    SqliteStorage s({db.path()});
    for (MessageId id = 1; id <= 300; ++id) {
      s.put_message({id, test::message("t/" + std::to_string(id), std::string(900, 'p'))});
    }
  }
  write_file(db.path(), random_bytes(4096 * 8, 2), 4096 * 2);  // smash pages 3..10
  check_refused_untouched(db.path(), "corrupt");
}

TEST_CASE("sqlite: another application's database is refused and left alone", "[storage][sqlite]") {
  TempDb db;
  raw_sql(db.path(), "CREATE TABLE sessions(x); INSERT INTO sessions VALUES(1);");
  check_refused_untouched(db.path(), "not a Ferry database");
}

TEST_CASE("sqlite: a schema newer than this build is refused and left alone", "[storage][sqlite]") {
  TempDb db;
  {
    SqliteStorage s({db.path()});
    s.put_inbound_qos2("c", 1);
  }
  const auto newer = std::to_string(sqlite::latest_schema_version() + 1);
  raw_sql(db.path(), ("INSERT INTO schema_version VALUES(" + newer + ", 0)").c_str());
  check_refused_untouched(db.path(), "schema version " + newer + " is newer");
}

// A file of the first release (schema 1, before sn_topics): taken back to version 1 here
// by undoing migration 2, then opened as the current build would find it.
TEST_CASE("sqlite: a version 1 database is migrated on open and keeps its rows",
          "[storage][sqlite]") {
  TempDb db;
  {
    SqliteStorage s({db.path()});
    s.put_session({"old", mqtt::Version::v3_1_1, 600, std::nullopt, 0, 1700000000});
    s.put_inbound_qos2("old", 4);
  }
  raw_sql(db.path(), "DROP TABLE sn_topics; DELETE FROM schema_version WHERE version > 1;");
  REQUIRE(raw_int(db.path(), "SELECT max(version) FROM schema_version") == 1);
  {
    SqliteStorage s({db.path()});
    const auto r = test::restore_all(s);
    REQUIRE(r.sessions.size() == 1);
    CHECK(r.sessions[0].client_id == "old");
    CHECK(r.sessions[0].disconnected_at == 1700000000);
    CHECK(r.inbound == std::vector<std::pair<std::string, std::uint16_t>>{{"old", 4}});
    CHECK(r.topics.empty());
    s.put_topic({"old", 1, "sensors/temp"});  // the new table takes rows
    s.flush();
    CHECK(s.healthy());
  }
  CHECK(raw_int(db.path(), "SELECT max(version) FROM schema_version") ==
        sqlite::latest_schema_version());
  CHECK(raw_int(db.path(), "PRAGMA application_id") == sqlite::k_application_id);
  SqliteStorage s({db.path()});  // opens as it is now, without migrating again
  const auto r = test::restore_all(s);
  CHECK(r.sessions.size() == 1);
  CHECK(test::topics_of(r) == test::Topics{"old 1 sensors/temp"});
}

TEST_CASE("sqlite: an empty file becomes a new store", "[storage][sqlite]") {
  TempDb db;
  write_file(db.path(), "");
  SqliteStorage s({db.path()});
  s.put_inbound_qos2("c", 1);
  CHECK(test::restore_all(s).inbound.size() == 1);
}

TEST_CASE("sqlite: a second store on the same file is refused while the first is open",
          "[storage][sqlite]") {
  TempDb db;
  {
    SqliteStorage first({db.path()});
    first.put_inbound_qos2("c", 1);
    first.flush();
    const std::string error = open_error(db.path());
    CHECK_THAT(error, Catch::Contains(db.path().string() + ": in use by another Ferry process"));
    CHECK_THAT(error, Catch::Contains("pid " + std::to_string(getpid())));
  }
  SqliteStorage again({db.path()});  // released with the first: the data is still there
  CHECK(test::restore_all(again).inbound.size() == 1);
}

TEST_CASE("sqlite: a missing data directory is named", "[storage][sqlite]") {
  TempDb db;
  const auto dir = db.path().string() + ".missing";
  CHECK_THAT(open_error(fs::path(dir) / "ferry.db"),
             Catch::Contains("cannot write to " + dir + ": no such file or directory"));
}

// chmod stops writes only for non-root users; as root (CI containers) this test can only
// warn and skip.
TEST_CASE("sqlite: a read-only data directory (chmod 0555) is named", "[storage][sqlite]") {
  TempDb db;
  const fs::path dir = db.path().string() + ".ro";
  fs::create_directory(dir);
  ::chmod(dir.c_str(), 0555);
  const fs::path probe = dir / "probe";
  if (std::ofstream(probe)) {
    fs::remove(probe);
    WARN("SKIPPED: running as root, chmod 0555 does not stop writes to " << dir);
  } else {
    CHECK_THAT(open_error(dir / "ferry.db"),
               Catch::Contains("cannot write to " + dir.string() + ": permission denied"));
  }
  ::chmod(dir.c_str(), 0755);
  fs::remove_all(dir);
}

// A read-only tmpfs mounted in a private mount namespace of a child process: real EROFS
// even as root, and nothing outside the child sees the mount. Needs CAP_SYS_ADMIN;
// skipped with a warning without it.
TEST_CASE("sqlite: a read-only file system is named", "[storage][sqlite]") {
  TempDb db;
  const fs::path dir = db.path().string() + ".rofs";
  fs::create_directory(dir);
  const pid_t child = ::fork();
  if (child == 0) {
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", dir.c_str(), "tmpfs", MS_RDONLY, nullptr) != 0) {
      ::_exit(77);
    }
    const auto error = open_error(dir / "ferry.db");
    const auto want = "cannot write to " + dir.string() + ": read-only file system";
    ::_exit(error.find(want) != std::string::npos ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  fs::remove_all(dir);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) {
    WARN("SKIPPED: cannot mount a read-only tmpfs here (no CAP_SYS_ADMIN)");
  } else {
    CHECK(WEXITSTATUS(status) == 0);
  }
}
