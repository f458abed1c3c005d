// Framing [MQTT 2.1, 1.5.5] and the small shared helpers of codec.hpp.
#include "protocol/mqtt/codec.hpp"

#include "protocol/mqtt/wire.hpp"

namespace ferry::mqtt {

Frame scan_frame(std::span<const std::uint8_t> bytes, std::uint32_t max_packet_size) {
  Frame f;
  if (bytes.empty()) {
    return f;
  }
  f.first_byte = bytes[0];
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (bytes.size() < 2 + i) {
      return f;  // need_more: remaining length not complete yet
    }
    const std::uint8_t b = bytes[1 + i];
    value |= static_cast<std::uint32_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) != 0) {
      continue;
    }
    f.header_size = 2 + i;
    f.remaining_length = value;
    if (max_packet_size != 0 && f.total_size() > max_packet_size) {
      f.status = Frame::Status::too_large;  // known before the body arrives
    } else if (bytes.size() >= f.total_size()) {
      f.status = Frame::Status::ok;
    }
    return f;
  }
  f.status = Frame::Status::malformed;  // a fifth length byte [MQTT-1.5.5-1]
  return f;
}

void put_varint(std::uint32_t value, std::string& out) {
  wire::put_varint(value, out);
}

// 3.x has six CONNACK return codes [MQTT 3.2.2.3]; v5 reasons fold onto the nearest.
std::uint8_t v3_connack_code(Reason reason) {
  switch (reason) {
    case Reason::success:
      return 0;  // accepted
    case Reason::unsupported_protocol_version:
      return 1;  // unacceptable protocol version
    case Reason::client_identifier_not_valid:
      return 2;  // identifier rejected
    case Reason::bad_user_name_or_password:
    case Reason::bad_authentication_method:
      return 4;  // bad user name or password
    case Reason::not_authorized:
    case Reason::banned:
      return 5;  // not authorized
    default:
      // server_unavailable, server_busy, server_shutting_down, use_another_server,
      // server_moved, quota_exceeded, connection_rate_exceeded, and every other error
      // the client cannot fix itself: "server unavailable".
      return 3;
  }
}

}  // namespace ferry::mqtt
