// The bench payload header: publisher id, sequence number and a monotonic send time, in
// the first bytes of every payload (the rest is padding up to the configured size).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace ferry::bench {

inline constexpr std::size_t payload_header_size = 14;  // u16 publisher, u32 seq, u64 ns

struct Stamp {
  std::uint16_t publisher = 0;
  std::uint32_t seq = 0;
  std::uint64_t sent_ns = 0;  // steady_clock nanoseconds
};

/// Writes the stamp at the front of `out` (at least payload_header_size bytes).
inline void write_stamp(const Stamp& s, char* out) {
  std::memcpy(out, &s.publisher, 2);
  std::memcpy(out + 2, &s.seq, 4);
  std::memcpy(out + 6, &s.sent_ns, 8);
}

inline std::optional<Stamp> read_stamp(std::string_view payload) {
  if (payload.size() < payload_header_size) {
    return std::nullopt;
  }
  Stamp s;
  std::memcpy(&s.publisher, payload.data(), 2);
  std::memcpy(&s.seq, payload.data() + 2, 4);
  std::memcpy(&s.sent_ns, payload.data() + 6, 8);
  return s;
}

}  // namespace ferry::bench
