// Compact binary blobs for the columns SQLite has no type for: MQTT 5.0 Properties, a
// Will and a list of subscription identifiers. Internal to storage/sqlite.
//
// Properties are written as MQTT writes them [MQTT 2.2.2.2]: identifier byte, then the
// value (byte, big-endian two/four byte integer, variable byte integer, or a varint
// length followed by the bytes of a string / binary / string pair), without the block's
// length prefix. Every field of mqtt::Properties is kept, whatever packet it belongs to.
// An empty Properties encodes to an empty blob, stored as NULL.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/mqtt/packet.hpp"

namespace ferry::storage::sqlite {

std::string encode_properties(const mqtt::Properties& properties);
/// Throws StorageError on a malformed blob (a corrupt row).
mqtt::Properties decode_properties(std::string_view blob);

/// qos, retain, topic, payload, then the properties as above.
std::string encode_will(const mqtt::Will& will);
mqtt::Will decode_will(std::string_view blob);

/// Concatenated variable byte integers [MQTT 1.5.5].
std::string encode_ids(const std::vector<std::uint32_t>& ids);
std::vector<std::uint32_t> decode_ids(std::string_view blob);

}  // namespace ferry::storage::sqlite
