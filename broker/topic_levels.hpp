// Walking a topic or filter level by level, shared by the subscription trie and the
// retained store (both keep children in hash maps keyed by level).
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace ferry::broker::levels {

inline constexpr std::size_t npos = std::string_view::npos;

/// Heterogeneous hash so a std::string-keyed map is searched with a string_view.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};

/// The level of `text` that starts at `pos`; `next` becomes the start of the following
/// level, or npos after the last one. "a//b" has levels "a", "", "b"; "/a" has "", "a".
inline std::string_view next_level(std::string_view text, std::size_t pos, std::size_t& next) {
  const std::size_t slash = text.find('/', pos);
  if (slash == npos) {
    next = npos;
    return text.substr(pos);
  }
  next = slash + 1;
  return text.substr(pos, slash - pos);
}

}  // namespace ferry::broker::levels
