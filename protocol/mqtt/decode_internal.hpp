// Pieces shared by the decoder's translation units. Internal to protocol/mqtt.
#pragma once

#include <cstdint>
#include <string>

#include "protocol/mqtt/packet.hpp"
#include "protocol/mqtt/wire.hpp"

namespace ferry::mqtt::detail {

/// Reads a two-byte-length UTF-8 string into `out`; false when truncated or not
/// well-formed per [MQTT-1.5.4-1, -2] (the caller answers malformed_packet).
bool read_utf8(wire::Reader& r, std::string& out);

/// Whether `code` is a reason code the v5 spec allows in a packet of `type`
/// (PUBACK [MQTT 3.4.2.1], SUBACK [MQTT 3.9.3], ...). Unknown codes are malformed.
bool valid_v5_reason(PacketType type, std::uint8_t code);

/// CONNECT [MQTT 3.1]. Fills `out` as far as it gets; `out.version` is always set once
/// the protocol name and level were readable (a best guess when they are unsupported).
Reason decode_connect(wire::Reader& r, Connect& out);

/// CONNACK [MQTT 3.2] for a connection speaking `version`.
Reason decode_connack(wire::Reader& r, Version version, Connack& out);

}  // namespace ferry::mqtt::detail
