// Thin RAII over the SQLite C API: a connection and prepared statements. Internal to
// storage/sqlite. Errors throw DbError, which carries the SQLite result code so the
// writer can tell a full disk from a bug.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "storage/sqlite/storage_error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace ferry::storage::sqlite {

class DbError : public StorageError {
 public:
  DbError(int code, const std::string& what) : StorageError(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class Database {
 public:
  /// Opens (creating if missing) `file` read-write. Throws DbError naming the file.
  explicit Database(const std::filesystem::path& file);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const { return db_; }
  /// Runs one or more statements that return no rows we need.
  void exec(const std::string& sql);
  /// First column of the first row of `sql` as an integer (0 when there is no row).
  std::int64_t query_int(const std::string& sql);
  /// True inside an explicit transaction (BEGIN not yet committed or rolled back).
  bool in_transaction() const;
  /// Last error text of the connection, prefixed with the file name.
  std::string error_text(int code) const;

 private:
  sqlite3* db_ = nullptr;
  std::string name_;
};

/// A statement prepared once and reused; every bind/step throws DbError on failure.
class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  /// Parameters are 1-based, as in SQLite. Text and blobs are bound without copying:
  /// they must stay alive until run() / the last step().
  Statement& bind(int index, std::int64_t value);
  Statement& bind_text(int index, std::string_view text);
  Statement& bind_blob(int index, std::string_view bytes);          // empty -> zero-length blob
  Statement& bind_blob_or_null(int index, std::string_view bytes);  // empty -> NULL
  Statement& bind_null(int index);

  /// Executes to completion and resets; returns the number of rows changed.
  int run();
  /// Next row of a query: true while there is one; resets itself at the end.
  bool step();
  void reset();

  std::int64_t int64(int column) const;
  std::string_view text(int column) const;  // blob or text bytes; empty for NULL
  bool is_null(int column) const;

 private:
  void check(int rc);
  Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace ferry::storage::sqlite
