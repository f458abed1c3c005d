// One broker per database: an exclusive flock(2) on "<database>-lock", held for the
// life of the store. The kernel drops it when the process ends, even by kill -9, so a
// crash never leaves a stale lock behind. Internal to storage/sqlite.
#pragma once

#include <filesystem>

namespace ferry::storage::sqlite {

class FileLock {
 public:
  /// Takes the lock or throws StorageError naming the database and the holder's pid.
  explicit FileLock(const std::filesystem::path& database);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace ferry::storage::sqlite
