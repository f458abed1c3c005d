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
  raw_sql(db.path(), "INSERT INTO schema_version VALUES(99, 0)");
  check_refused_untouched(db.path(), "schema version 99 is newer");
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
