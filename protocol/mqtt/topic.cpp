// Topic names, filters and UTF-8 rules [MQTT 1.5.4, 4.7, 4.8.2].
#include "protocol/mqtt/topic.hpp"

#include <cstdint>
#include <cstring>

namespace ferry::mqtt {

namespace {

constexpr std::uint64_t k_high_bits = 0x8080808080808080ULL;
constexpr std::uint64_t k_low_bits = 0x0101010101010101ULL;

// True when none of the eight bytes is zero and none has its high bit set: plain
// printable-ish ASCII, the common case for topics and client ids.
bool ascii_word(const unsigned char* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  const bool has_zero = ((v - k_low_bits) & ~v & k_high_bits) != 0;
  return (v & k_high_bits) == 0 && !has_zero;
}

// Decodes one multi-byte sequence starting at p[i] (p[i] >= 0x80). Returns its length,
// or 0 when it is ill-formed: bad lead/continuation byte, overlong form, a surrogate
// U+D800..U+DFFF [MQTT-1.5.4-1] or a code point above U+10FFFF.
std::size_t multibyte_length(const unsigned char* p, std::size_t avail) {
  const unsigned char lead = p[0];
  std::size_t len = 0;
  std::uint32_t cp = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
    cp = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    cp = lead & 0x0Fu;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    cp = lead & 0x07u;
  } else {
    return 0;  // continuation byte as lead, 0xC0/0xC1 (always overlong) or 0xF5+
  }
  if (avail < len) {
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    if ((p[k] & 0xC0u) != 0x80u) {
      return 0;
    }
    cp = (cp << 6) | (p[k] & 0x3Fu);
  }
  const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
  const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
  if (overlong || surrogate || cp > 0x10FFFF) {
    return 0;
  }
  return len;
}

bool has_wildcard(std::string_view s) {
  return s.find_first_of("+#") != std::string_view::npos;
}

// Level rules only (UTF-8 and length checked by the caller) [MQTT-4.7.1-1, -2].
bool valid_filter_levels(std::string_view filter) {
  std::size_t start = 0;
  while (true) {
    const std::size_t end = filter.find('/', start);
    const bool last = end == std::string_view::npos;
    const std::string_view level =
        filter.substr(start, last ? std::string_view::npos : end - start);
    if (level == "#") {
      return last;  // '#' must be the final level
    }
    if (level != "+" && has_wildcard(level)) {
      return false;  // wildcard mixed with other characters in one level
    }
    if (last) {
      return true;
    }
    start = end + 1;
  }
}

bool valid_plain_filter(std::string_view filter) {
  return !filter.empty() && valid_utf8(filter) && valid_filter_levels(filter);
}

constexpr std::string_view k_share_prefix = "$share/";

}  // namespace

bool valid_utf8(std::string_view text) {
  if (text.size() > 65535) {
    return false;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    if (n - i >= 8 && ascii_word(p + i)) {
      i += 8;
      continue;
    }
    if (p[i] < 0x80) {
      if (p[i] == 0) {
        return false;  // U+0000 [MQTT-1.5.4-2]
      }
      ++i;
      continue;
    }
    const std::size_t len = multibyte_length(p + i, n - i);
    if (len == 0) {
      return false;
    }
    i += len;
  }
  return true;
}

bool valid_topic_name(std::string_view topic) {
  return !topic.empty() && !has_wildcard(topic) && valid_utf8(topic);  // [MQTT-3.3.2-2]
}

bool valid_topic_filter(std::string_view filter) {
  if (is_shared_prefix(filter)) {
    return parse_shared(filter).has_value();
  }
  return valid_plain_filter(filter);
}

bool is_shared_prefix(std::string_view filter) {
  return filter.starts_with(k_share_prefix);
}

std::optional<SharedFilter> parse_shared(std::string_view filter) {
  if (!is_shared_prefix(filter)) {
    return std::nullopt;
  }
  const std::string_view rest = filter.substr(k_share_prefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) {
    return std::nullopt;  // no group, or no filter after it [MQTT-4.8.2-1]
  }
  const std::string_view group = rest.substr(0, slash);
  const std::string_view inner = rest.substr(slash + 1);
  if (has_wildcard(group) || !valid_utf8(group)) {
    return std::nullopt;  // [MQTT-4.8.2-2]
  }
  if (is_shared_prefix(inner) || !valid_plain_filter(inner)) {
    return std::nullopt;
  }
  return SharedFilter{group, inner};
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  if (filter.empty() || topic.empty()) {
    return false;
  }
  if ((filter[0] == '+' || filter[0] == '#') && topic[0] == '$') {
    return false;  // [MQTT-4.7.2-1]
  }
  std::size_t f = 0;
  std::size_t t = 0;
  bool topic_done = false;
  while (true) {
    const std::size_t fe = filter.find('/', f);
    const std::string_view fl = filter.substr(f, fe == std::string_view::npos ? fe : fe - f);
    if (fl == "#") {
      return true;  // matches the parent level and everything below [MQTT-4.7.1-2]
    }
    if (topic_done) {
      return false;
    }
    const std::size_t te = topic.find('/', t);
    const std::string_view tl = topic.substr(t, te == std::string_view::npos ? te : te - t);
    if (fl != "+" && fl != tl) {
      return false;
    }
    if (fe == std::string_view::npos) {
      return te == std::string_view::npos;
    }
    if (te == std::string_view::npos) {
      topic_done = true;
    } else {
      t = te + 1;
    }
    f = fe + 1;
  }
}

}  // namespace ferry::mqtt
