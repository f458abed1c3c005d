// The one machine-readable line a run ends with: `key=value` pairs in insertion order.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ferry::bench {

class Summary {
 public:
  Summary& add(const std::string& key, const std::string& value);
  Summary& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  Summary& add(const std::string& key, std::uint64_t value);
  Summary& add(const std::string& key, std::int64_t value);
  Summary& add(const std::string& key, int value) {
    return add(key, static_cast<std::int64_t>(value));
  }
  /// Doubles keep `decimals` digits after the point.
  Summary& add(const std::string& key, double value, int decimals = 1);
  std::string line() const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

}  // namespace ferry::bench
