#include "storage/sqlite/database.hpp"

#include <sqlite3.h>

namespace ferry::storage::sqlite {

Database::Database(const std::filesystem::path& file) : name_(file.string()) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(name_.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string text = error_text(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw DbError(rc, text);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() {
  sqlite3_close_v2(db_);
}

std::string Database::error_text(int code) const {
  const char* msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
  return name_ + ": " + msg;
}

void Database::exec(const std::string& sql) {
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    throw DbError(rc, error_text(rc));
  }
}

std::int64_t Database::query_int(const std::string& sql) {
  Statement st(*this, sql);
  std::int64_t v = 0;
  if (st.step()) {
    v = st.int64(0);
    st.reset();
  }
  return v;
}

bool Database::in_transaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

Statement::Statement(Database& db, std::string_view sql) : db_(db) {
  const int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  check(rc);
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

void Statement::check(int rc) {
  if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
    const std::string text = db_.error_text(rc);
    if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
    }
    throw DbError(rc, text);
  }
}

Statement& Statement::bind(int index, std::int64_t value) {
  check(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::bind_text(int index, std::string_view text) {
  // A null pointer would bind SQL NULL; an empty string must stay an empty string.
  const char* data = text.data() != nullptr ? text.data() : "";
  check(sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_STATIC, SQLITE_UTF8));
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  if (bytes.empty()) {
    check(sqlite3_bind_zeroblob(stmt_, index, 0));
  } else {
    check(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_STATIC));
  }
  return *this;
}

Statement& Statement::bind_blob_or_null(int index, std::string_view bytes) {
  return bytes.empty() ? bind_null(index) : bind_blob(index, bytes);
}

Statement& Statement::bind_null(int index) {
  check(sqlite3_bind_null(stmt_, index));
  return *this;
}

int Statement::run() {
  const int rc = sqlite3_step(stmt_);
  check(rc);
  sqlite3_reset(stmt_);
  return sqlite3_changes(db_.handle());
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  check(rc);
  if (rc == SQLITE_DONE) {
    sqlite3_reset(stmt_);
    return false;
  }
  return true;
}

void Statement::reset() {
  sqlite3_reset(stmt_);
}

std::int64_t Statement::int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string_view Statement::text(int column) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  const auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column));
  return p == nullptr ? std::string_view() : std::string_view(p, n);
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

}  // namespace ferry::storage::sqlite
