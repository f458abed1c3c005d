#include "storage/sqlite/schema.hpp"

#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

namespace ferry::storage::sqlite {
namespace {

namespace fs = std::filesystem;

struct Migration {
  int version;
  const char* sql;
};

// Migration 1: everything. Rows that carry payloads use rowid tables (SQLite advises
// against large rows in WITHOUT ROWID tables); small keyed rows are WITHOUT ROWID.
// queue.seq is the per-store enqueue order; queue_by_message finds a body's last
// reference when a queue row goes. AUTOINCREMENT makes sqlite_sequence remember the
// highest message id ever stored, so ids stay unique after bodies are deleted.
constexpr const char* k_migration_1 = R"sql(
CREATE TABLE schema_version(version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);
CREATE TABLE sessions(
  client_id TEXT PRIMARY KEY, version INTEGER NOT NULL, expiry_interval INTEGER NOT NULL,
  will BLOB, will_delay INTEGER NOT NULL, disconnected_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE subscriptions(
  client_id TEXT NOT NULL, filter TEXT NOT NULL, options INTEGER NOT NULL,
  subscription_id INTEGER NOT NULL, PRIMARY KEY(client_id, filter)) WITHOUT ROWID;
CREATE TABLE retained(
  topic TEXT PRIMARY KEY, payload BLOB NOT NULL, qos INTEGER NOT NULL, properties BLOB,
  expires_at INTEGER);
CREATE TABLE messages(
  id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload BLOB NOT NULL, qos INTEGER NOT NULL,
  retain INTEGER NOT NULL, properties BLOB, expires_at INTEGER, origin INTEGER NOT NULL);
CREATE TABLE queue(
  client_id TEXT NOT NULL, message_id INTEGER NOT NULL, seq INTEGER NOT NULL,
  qos INTEGER NOT NULL, retain INTEGER NOT NULL, subscription_ids BLOB,
  packet_id INTEGER NOT NULL, released INTEGER NOT NULL,
  PRIMARY KEY(client_id, message_id)) WITHOUT ROWID;
CREATE INDEX queue_by_message ON queue(message_id);
CREATE TABLE inbound_qos2(
  client_id TEXT NOT NULL, packet_id INTEGER NOT NULL,
  PRIMARY KEY(client_id, packet_id)) WITHOUT ROWID;
)sql";

// Migration 2: MQTT-SN topic ids registered per client [MQTT-SN 6.5], so a restart does
// not leave sensors publishing to ids the gateway forgot.
constexpr const char* k_migration_2 = R"sql(
CREATE TABLE sn_topics(
  client_id TEXT NOT NULL, topic_id INTEGER NOT NULL, topic TEXT NOT NULL,
  PRIMARY KEY(client_id, topic_id)) WITHOUT ROWID;
)sql";

// Never edit a migration once released: existing files have applied it. Add one instead.
constexpr std::array<Migration, 2> k_migrations{{{1, k_migration_1}, {2, k_migration_2}}};

std::string lower_first(std::string s) {
  if (!s.empty()) {
    s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  }
  return s;
}

[[noreturn]] void cannot_write(const fs::path& where, int err) {
  throw StorageError("cannot write to " + where.string() + ": " + lower_first(std::strerror(err)));
}

void check_writable(const fs::path& file) {
  const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    cannot_write(dir, ec ? ec.value() : ENOENT);
  }
  // The directory must take new files too: WAL mode creates FILE-wal and FILE-shm.
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    cannot_write(dir, errno);
  }
  if (fs::exists(file, ec) && ::access(file.c_str(), R_OK | W_OK) != 0) {
    cannot_write(file, errno);
  }
}

}  // namespace

int latest_schema_version() {
  return k_migrations.back().version;
}

void check_file_before_open(const fs::path& file) {
  check_writable(file);
  std::error_code ec;
  if (!fs::exists(file, ec) || fs::file_size(file, ec) == 0) {
    return;
  }
  // [SQLite file format 1.3]: every database starts with this 16-byte string.
  static constexpr char k_magic[] = "SQLite format 3";
  std::array<char, sizeof(k_magic)> head{};
  std::ifstream in(file, std::ios::binary);
  in.read(head.data(), head.size());
  if (!in || std::memcmp(head.data(), k_magic, sizeof(k_magic)) != 0) {
    throw StorageError(file.string() + ": not a SQLite database (refusing to touch it)");
  }
}

int check_database(Database& db, const fs::path& file) {
  const std::string name = file.string();
  try {
    if (db.query_int("SELECT count(*) FROM pragma_quick_check WHERE quick_check <> 'ok'") != 0) {
      throw StorageError(name + ": database is corrupt (PRAGMA quick_check failed)");
    }
  } catch (const DbError& e) {
    std::string detail = e.what();  // "FILE: message"
    if (detail.starts_with(name + ": ")) {
      detail.erase(0, name.size() + 2);
    }
    throw StorageError(name + ": database is corrupt or unreadable (" + detail + ")");
  }
  const auto app_id = db.query_int("PRAGMA application_id");
  const auto objects = db.query_int("SELECT count(*) FROM sqlite_master");
  if (app_id == 0 && objects == 0) {
    return 0;  // a new (or empty) file
  }
  const bool has_version_table =
      db.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'") != 0;
  if (app_id != k_application_id || !has_version_table) {
    throw StorageError(name + ": not a Ferry database (application_id " + std::to_string(app_id) +
                       ", " + std::to_string(objects) + " schema objects); refusing to touch it");
  }
  const auto version = db.query_int("SELECT max(version) FROM schema_version");
  if (version > latest_schema_version()) {
    throw StorageError(name + ": schema version " + std::to_string(version) +
                       " is newer than this build knows (" +
                       std::to_string(latest_schema_version()) + "); use a newer ferry");
  }
  return static_cast<int>(version);
}

void migrate(Database& db, int from) {
  for (const auto& m : k_migrations) {
    if (m.version <= from) {
      continue;
    }
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(m.sql);
      db.exec("INSERT INTO schema_version VALUES(" + std::to_string(m.version) +
              ", CAST(strftime('%s','now') AS INTEGER))");
      db.exec("PRAGMA application_id = " + std::to_string(k_application_id));
      db.exec("COMMIT");
    } catch (...) {
      if (db.in_transaction()) {
        db.exec("ROLLBACK");
      }
      throw;
    }
  }
}

}  // namespace ferry::storage::sqlite
