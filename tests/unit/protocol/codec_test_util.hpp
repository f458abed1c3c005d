// Helpers for the MQTT codec tests: a byte builder, decode-a-whole-packet, round trip.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "protocol/mqtt/codec.hpp"

namespace ferry::mqtt::test {

/// Builds raw bytes: big-endian integers, length-prefixed strings, raw runs.
struct Wire {
  std::string s;
  Wire& u8(int v) {
    s.push_back(static_cast<char>(v));
    return *this;
  }
  Wire& u16(int v) { return u8((v >> 8) & 0xFF).u8(v & 0xFF); }
  Wire& u32(std::uint32_t v) {
    return u16(static_cast<int>(v >> 16)).u16(static_cast<int>(v & 0xFFFF));
  }
  Wire& str(std::string_view text) {
    u16(static_cast<int>(text.size()));
    s.append(text);
    return *this;
  }
  Wire& raw(std::string_view bytes) {
    s.append(bytes);
    return *this;
  }
  /// A v5 property block: length then the given bytes.
  Wire& props(const Wire& block) {
    put_varint(static_cast<std::uint32_t>(block.s.size()), s);
    s.append(block.s);
    return *this;
  }
};

/// A whole packet: first byte, remaining length computed from `body`.
inline std::string packet(int first_byte, const Wire& body) {
  std::string out(1, static_cast<char>(first_byte));
  put_varint(static_cast<std::uint32_t>(body.s.size()), out);
  out += body.s;
  return out;
}

inline std::span<const std::uint8_t> as_span(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// Frames and decodes bytes that must hold exactly one packet.
inline Decoded decode_all(std::string_view bytes, Version version) {
  const auto span = as_span(bytes);
  const Frame frame = scan_frame(span, 0);
  REQUIRE(frame.status == Frame::Status::ok);
  REQUIRE(frame.total_size() == bytes.size());
  return decode(frame, span.subspan(frame.header_size, frame.remaining_length), version);
}

inline std::string encoded(const Packet& p, Version v) {
  std::string out;
  encode(p, v, out);
  return out;
}

inline std::string hex(std::string_view s) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out;
  for (const char ch : s) {
    const auto b = static_cast<unsigned char>(ch);
    if (!out.empty()) {
      out.push_back(' ');
    }
    out.push_back(k_digits[b >> 4]);
    out.push_back(k_digits[b & 0x0F]);
  }
  return out;
}

/// encode -> size check -> scan -> decode -> equal; for PUBLISH also head + payload.
inline void check_roundtrip(const Packet& p, Version v) {
  const std::string bytes = encoded(p, v);
  INFO("type " << static_cast<int>(type_of(p)) << " version " << static_cast<int>(v) << ": "
               << hex(bytes));
  CHECK(encoded_size(p, v) == bytes.size());
  const Decoded d = decode_all(bytes, v);
  REQUIRE(d.reason == Reason::success);
  CHECK(d.packet == p);
  if (const auto* pub = std::get_if<Publish>(&p)) {
    std::string head;
    encode_publish_head(*pub, v, head);
    CHECK(head + std::string(pub->payload_view()) == bytes);
    const auto& got = std::get<Publish>(d.packet);
    CHECK(got.payload != nullptr);
  }
}

}  // namespace ferry::mqtt::test
