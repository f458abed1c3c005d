#include "bench/lib/summary.hpp"

#include <cstdio>

namespace ferry::bench {

Summary& Summary::add(const std::string& key, const std::string& value) {
  std::string v = value;
  for (char& ch : v) {
    if (ch == ' ' || ch == '=') {
      ch = '_';  // keep the line splittable on spaces and '='
    }
  }
  items_.emplace_back(key, v.empty() ? "-" : v);
  return *this;
}

Summary& Summary::add(const std::string& key, std::uint64_t value) {
  return add(key, std::to_string(value));
}

Summary& Summary::add(const std::string& key, std::int64_t value) {
  return add(key, std::to_string(value));
}

Summary& Summary::add(const std::string& key, double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return add(key, std::string(buf));
}

std::string Summary::line() const {
  std::string out;
  for (const auto& [k, v] : items_) {
    if (!out.empty()) {
      out += ' ';
    }
    out += k + "=" + v;
  }
  return out;
}

}  // namespace ferry::bench
