// The one exception storage/sqlite throws: at start-up (open, checks, migrations,
// restore of a corrupt row). Its message names the database file or directory.
#pragma once

#include <stdexcept>
#include <string>

namespace ferry::storage {

class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ferry::storage
