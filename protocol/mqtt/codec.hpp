// MQTT wire codec for 3.1, 3.1.1 and 5.0: framing, decode with strict validation, encode.
// Pure functions, no allocation beyond the packets themselves, never throws on peer input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "protocol/mqtt/packet.hpp"

namespace ferry::mqtt {

/// Result of looking for one complete packet at the front of a byte stream.
struct Frame {
  enum class Status { need_more, ok, malformed, too_large };
  Status status = Status::need_more;
  std::uint8_t first_byte = 0;  // packet type (high nibble) and flags (low nibble)
  std::size_t header_size = 0;  // fixed header bytes: 1 + remaining-length bytes
  std::uint32_t remaining_length = 0;
  std::size_t total_size() const { return header_size + remaining_length; }
};

/// Scans the fixed header [MQTT 2.1]. `malformed` when the remaining length uses more
/// than four bytes [MQTT-1.5.5-1]; `too_large` when the whole packet would exceed
/// `max_packet_size` (0 = no limit beyond the protocol's 268435455 + 5).
Frame scan_frame(std::span<const std::uint8_t> bytes, std::uint32_t max_packet_size);

/// Outcome of decoding one packet. On error `reason` is the code to answer with
/// (malformed_packet, protocol_error, topic_name_invalid, unsupported_protocol_version,
/// client_identifier_not_valid, ...) and `packet` is unspecified, except for CONNECT:
/// it is then a Connect whose `version` is set whenever the protocol name and level were
/// readable (a best guess for unsupported ones: "MQIsdp" -> 3.1, "MQTT" level > 5 -> 5.0,
/// anything else -> 3.1.1), so the caller can pick the CONNACK format.
struct Decoded {
  Packet packet;
  Reason reason = Reason::success;
  bool ok() const { return reason == Reason::success; }
};

/// Decodes the packet whose fixed header is `frame` and whose variable header and payload
/// are `body` (exactly frame.remaining_length bytes). `version` is the connection's
/// negotiated version; it is ignored for CONNECT, which carries its own.
/// Validates everything the specification makes a "malformed packet" or "protocol error":
/// reserved flag bits, QoS 3, packet id 0 where one is required, UTF-8 rules
/// [MQTT-1.5.4], topic name/filter rules, duplicate or misplaced properties,
/// truncated/overlong fields, empty SUBSCRIBE/UNSUBSCRIBE payloads, the v3.1 protocol
/// name "MQIsdp" vs "MQTT" for 3.1.1/5.0.
Decoded decode(const Frame& frame, std::span<const std::uint8_t> body, Version version);

/// Appends the encoding of `packet` for a peer speaking `version`. Properties are
/// written only for v5. For 3.x, v5-only reasons are mapped to the version's codes.
void encode(const Packet& packet, Version version, std::string& out);

/// Appends PUBLISH's fixed and variable header but not the payload; the remaining
/// length still counts the payload, so the caller sends `*publish.payload` right after.
/// This is how one encoded payload is shared by many subscribers.
void encode_publish_head(const Publish& publish, Version version, std::string& out);

/// Size the whole encoded packet would have (for Maximum Packet Size checks).
std::size_t encoded_size(const Packet& packet, Version version);

/// Variable byte integer [MQTT 1.5.5]; appends 1..4 bytes.
void put_varint(std::uint32_t value, std::string& out);

/// 3.x CONNACK return code for a v5 reason (0 accepted .. 5 not authorized).
std::uint8_t v3_connack_code(Reason reason);

}  // namespace ferry::mqtt
