// Bounds-checked byte reader and the two encoding sinks (size counter, string writer)
// shared by the MQTT codec. Internal to protocol/mqtt; std only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ferry::mqtt::wire {

/// Number of bytes the variable byte integer encoding of `value` takes [MQTT 1.5.5].
constexpr std::size_t varint_size(std::uint32_t value) {
  return value < 128 ? 1 : value < 16384 ? 2 : value < 2097152 ? 3 : 4;
}

constexpr std::uint32_t k_varint_max = 268435455;

/// Reads big-endian fields from a byte span. A read past the end sets a sticky failure
/// flag and yields zero/empty values, so callers may check `ok()` once after a group of
/// reads; it never reads out of bounds and never throws.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : data_(bytes) {}

  bool ok() const { return ok_; }
  std::size_t remaining() const { return data_.size() - pos_; }
  bool at_end() const { return pos_ == data_.size(); }

  std::uint8_t u8() {
    if (!need(1)) {
      return 0;
    }
    return data_[pos_++];
  }

  std::uint16_t u16() {
    if (!need(2)) {
      return 0;
    }
    const auto v = static_cast<std::uint16_t>((data_[pos_] << 8) | data_[pos_ + 1]);
    pos_ += 2;
    return v;
  }

  std::uint32_t u32() {
    if (!need(4)) {
      return 0;
    }
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      v = (v << 8) | data_[pos_++];
    }
    return v;
  }

  /// Variable byte integer of at most four bytes [MQTT-1.5.5-1]; a fifth byte fails.
  std::uint32_t varint() {
    std::uint32_t value = 0;
    for (int k = 0; k < 4; ++k) {
      const std::uint8_t b = u8();
      value |= static_cast<std::uint32_t>(b & 0x7F) << (7 * k);
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    ok_ = false;
    return 0;
  }

  /// The next `n` bytes, as a view into the input.
  std::string_view raw(std::size_t n) {
    if (!need(n)) {
      return {};
    }
    const auto* p = reinterpret_cast<const char*>(data_.data() + pos_);
    pos_ += n;
    return {p, n};
  }

  /// A two-byte length followed by that many bytes (UTF-8 string or binary data).
  std::string_view prefixed() {
    const std::uint16_t n = u16();
    return raw(n);
  }

  /// Everything not yet read.
  std::string_view rest() { return raw(remaining()); }

  /// Splits off the next `n` bytes as an independent reader (e.g. a property block).
  Reader sub(std::size_t n) {
    if (!need(n)) {
      return Reader({});
    }
    Reader r(data_.subspan(pos_, n));
    pos_ += n;
    return r;
  }

 private:
  bool need(std::size_t n) {
    if (!ok_ || data_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }

  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

inline void put_u16(std::uint16_t v, std::string& out) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xFF));
}

inline void put_u32(std::uint32_t v, std::string& out) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
  }
}

/// Appends a two-byte length and the bytes. Callers never pass more than 65535 bytes
/// for a valid packet; longer input is truncated to keep the frame self-consistent.
inline void put_prefixed(std::string_view s, std::string& out) {
  const std::size_t n = s.size() > 0xFFFF ? 0xFFFF : s.size();
  put_u16(static_cast<std::uint16_t>(n), out);
  out.append(s.data(), n);
}

inline std::size_t prefixed_size(std::string_view s) {
  return 2 + (s.size() > 0xFFFF ? 0xFFFF : s.size());
}

/// Variable byte integer [MQTT 1.5.5]; values above the 4-byte maximum are clamped.
inline void put_varint(std::uint32_t value, std::string& out) {
  if (value > k_varint_max) {
    value = k_varint_max;
  }
  do {
    auto b = static_cast<std::uint8_t>(value & 0x7F);
    value >>= 7;
    if (value != 0) {
      b |= 0x80;
    }
    out.push_back(static_cast<char>(b));
  } while (value != 0);
}

/// Encoding sink that only counts bytes: the first pass of every encode, and
/// `encoded_size`. Same interface as StringSink so one template writes both.
struct SizeSink {
  std::size_t n = 0;
  void u8(std::uint8_t) { n += 1; }
  void u16(std::uint16_t) { n += 2; }
  void u32(std::uint32_t) { n += 4; }
  void varint(std::uint32_t v) { n += varint_size(v); }
  void raw(std::string_view s) { n += s.size(); }
  void prefixed(std::string_view s) { n += prefixed_size(s); }
};

/// Encoding sink that appends to a string.
struct StringSink {
  std::string& out;
  void u8(std::uint8_t v) { out.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) { put_u16(v, out); }
  void u32(std::uint32_t v) { put_u32(v, out); }
  void varint(std::uint32_t v) { put_varint(v, out); }
  void raw(std::string_view s) { out.append(s); }
  void prefixed(std::string_view s) { put_prefixed(s, out); }
};

}  // namespace ferry::mqtt::wire
