// Opening checks, connection settings and numbered schema migrations of the SQLite
// store. Internal to storage/sqlite. Every check runs before anything is written, so a
// file that is not ours is never modified.
#pragma once

#include <cstdint>
#include <filesystem>

#include "storage/sqlite/database.hpp"

namespace ferry::storage::sqlite {

/// PRAGMA application_id of a Ferry database: "FRRY".
inline constexpr std::int32_t k_application_id = 0x46525259;
/// Highest migration this build knows.
int latest_schema_version();

/// Throws StorageError "cannot write to DIR: ..." when the directory of `file` (or the
/// file itself, if present) is missing or not writable, and "FILE: not a SQLite
/// database" when the file exists, is not empty and lacks the SQLite header.
void check_file_before_open(const std::filesystem::path& file);

/// On an open connection: integrity (PRAGMA quick_check), ownership (application_id,
/// schema_version) and version. Returns the stored schema version, 0 for a new file.
/// Throws StorageError naming `file`; writes nothing.
int check_database(Database& db, const std::filesystem::path& file);

/// Applies the migrations above `from`, each in its own transaction.
void migrate(Database& db, int from);

}  // namespace ferry::storage::sqlite
