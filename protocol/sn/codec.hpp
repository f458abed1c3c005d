// MQTT-SN 1.2 wire codec: one datagram holds exactly one message [MQTT-SN 5.1].
// Pure functions; decode never throws and validates every field against the datagram.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "protocol/sn/packet.hpp"

namespace ferry::sn {

/// Why a datagram was rejected.
enum class DecodeError : std::uint8_t {
  none,
  too_short,        // fewer octets than a header [MQTT-SN 5.2]
  length_mismatch,  // Length field is not the datagram size [MQTT-SN 5.2.1]
  truncated,        // a fixed-size field runs past the end, or a required field is missing
  trailing_bytes,   // octets after the last field of a fixed-size message
  unknown_type,     // reserved MsgType [MQTT-SN 5.2.2]
  reserved_value,   // TopicIdType 0b11, ProtocolId != 0x01, ReturnCode >= 0x04, Ctrl bits
};

std::string_view to_string(DecodeError error);

/// An expected-like result: `message` is meaningful only when ok().
struct Decoded {
  Message message;
  DecodeError error = DecodeError::none;
  bool ok() const { return error == DecodeError::none; }
};

/// Decodes one whole datagram. The Length field, in its 1-octet or 3-octet (0x01 + two
/// octets) form, must equal the datagram size [MQTT-SN 5.2.1]. For an encapsulated
/// message [MQTT-SN 5.5] the Length covers the encapsulation header only and the rest
/// must be one well-formed, non-encapsulated MQTT-SN message.
Decoded decode(std::span<const std::uint8_t> datagram);
Decoded decode(std::string_view datagram);

/// Appends the encoding of `message` to `out`, using the 1-octet Length when the whole
/// message fits in 255 octets and the 3-octet form otherwise (up to 65535 octets).
/// Returns false, leaving `out` as it was, when the message cannot be encoded: longer
/// than 65535 octets, or an encapsulation whose header would exceed 255 octets.
bool encode(const Message& message, std::string& out);

/// Convenience for tests and one-off replies: the encoding alone.
std::string encode(const Message& message);

/// Wraps an encoded message for a forwarder [MQTT-SN 5.5].
bool encapsulate(std::uint8_t ctrl, std::string_view node_id, std::string_view message,
                 std::string& out);

}  // namespace ferry::sn
