// MQTT 5.0 properties [MQTT 2.2.2]: decode with per-packet validation, encode, size.
// Internal to protocol/mqtt; std only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "protocol/mqtt/packet.hpp"
#include "protocol/mqtt/wire.hpp"

namespace ferry::mqtt {

/// Where a property block appears; selects the column of the spec's property table
/// [MQTT 2.2.2.2]. `ack` covers PUBACK, PUBREC, PUBREL and PUBCOMP.
enum class PropContext : std::uint8_t {
  connect,
  connack,
  publish,
  will,
  ack,
  subscribe,
  suback,
  unsubscribe,
  unsuback,
  disconnect,
  auth,
};

/// Reads a property length and the block it announces into `out`.
/// - truncated block, unknown identifier, identifier not allowed in `ctx`, string not
///   valid UTF-8 [MQTT-1.5.4-1]: malformed_packet [MQTT 2.2.2.2];
/// - a non-repeatable property given twice, a value out of its range (0/1 flags,
///   Receive Maximum 0, Maximum Packet Size 0, Subscription Identifier 0), or more
///   than one Subscription Identifier in SUBSCRIBE: protocol_error (the spec's
///   "It is a Protocol Error to include ... more than once");
/// - Topic Alias 0: topic_alias_invalid [MQTT-3.3.2-8].
Reason read_properties(wire::Reader& r, PropContext ctx, Properties& out);

/// Bytes of the property block without its length prefix.
std::size_t properties_length(const Properties& p);

/// Bytes of the property block including its variable-length prefix.
inline std::size_t properties_wire_size(const Properties& p) {
  const std::size_t n = properties_length(p);
  return wire::varint_size(static_cast<std::uint32_t>(n)) + n;
}

/// Appends the property length and every present property in identifier order.
void put_properties(const Properties& p, std::string& out);

/// True when no property is present (the common case; lets encoders pick short forms).
bool properties_empty(const Properties& p);

}  // namespace ferry::mqtt
