// CONNECT and CONNACK decoding [MQTT 3.1, 3.2] for 3.1, 3.1.1 and 5.0.
#include <string_view>

#include "protocol/mqtt/decode_internal.hpp"
#include "protocol/mqtt/properties.hpp"
#include "protocol/mqtt/topic.hpp"

namespace ferry::mqtt::detail {

namespace {

constexpr std::uint8_t k_flag_reserved = 0x01;
constexpr std::uint8_t k_flag_clean = 0x02;
constexpr std::uint8_t k_flag_will = 0x04;
constexpr std::uint8_t k_flag_will_retain = 0x20;
constexpr std::uint8_t k_flag_password = 0x40;
constexpr std::uint8_t k_flag_username = 0x80;

struct Protocol {
  Version version;
  bool supported;
};

// Protocol name and level [MQTT-3.1.2-1, -2]. For an unsupported combination the
// version is a best guess at the CONNACK format the peer can read: "MQIsdp" -> 3.1;
// "MQTT" with a level above 5 -> 5.0 (a newer client); anything else -> 3.1.1.
Protocol classify(std::string_view name, std::uint8_t level) {
  if (name == "MQTT") {
    if (level == 4) {
      return {Version::v3_1_1, true};
    }
    if (level == 5) {
      return {Version::v5, true};
    }
    return {level > 5 ? Version::v5 : Version::v3_1_1, false};
  }
  if (name == "MQIsdp") {
    return {Version::v3_1, level == 3};
  }
  return {Version::v3_1_1, false};
}

Reason check_flags(std::uint8_t flags, Version version) {
  const std::uint8_t will_qos = (flags >> 3) & 0x03;
  if ((flags & k_flag_reserved) != 0) {
    return Reason::malformed_packet;  // [MQTT-3.1.2-3]
  }
  if ((flags & k_flag_will) == 0 && (will_qos != 0 || (flags & k_flag_will_retain) != 0)) {
    return Reason::malformed_packet;  // [MQTT-3.1.2-11, -13, -15]
  }
  if (will_qos == 3) {
    return Reason::malformed_packet;  // [MQTT-3.1.2-14]
  }
  if (version != Version::v5 && (flags & k_flag_password) != 0 && (flags & k_flag_username) == 0) {
    return Reason::malformed_packet;  // [MQTT-3.1.2-22]; v5 allows it [MQTT 3.1.2.9]
  }
  return Reason::success;
}

Reason read_will(wire::Reader& r, std::uint8_t flags, Version version, Will& will) {
  will.qos = (flags >> 3) & 0x03;
  will.retain = (flags & k_flag_will_retain) != 0;
  if (version == Version::v5) {
    const Reason rc = read_properties(r, PropContext::will, will.properties);
    if (rc != Reason::success) {
      return rc;
    }
  }
  if (!read_utf8(r, will.topic)) {
    return Reason::malformed_packet;
  }
  const std::string_view payload = r.prefixed();
  if (!r.ok()) {
    return Reason::malformed_packet;
  }
  will.payload.assign(payload);
  // Will Topic must be a valid topic name [MQTT-3.1.3-11]; CONNACK 0x90 in v5.
  return valid_topic_name(will.topic) ? Reason::success : Reason::topic_name_invalid;
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (const char ch : s) {
    n += (static_cast<unsigned char>(ch) & 0xC0u) != 0x80u ? 1 : 0;
  }
  return n;
}

// Client identifier rules that do not depend on server policy.
Reason check_client_id(const Connect& c) {
  if (c.version == Version::v3_1) {
    const std::size_t n = code_points(c.client_id);
    if (n < 1 || n > 23) {
      return Reason::client_identifier_not_valid;  // 3.1: 1..23 characters
    }
  }
  if (c.version == Version::v3_1_1 && c.client_id.empty() && !c.clean_start) {
    return Reason::client_identifier_not_valid;  // [MQTT-3.1.3-8]
  }
  return Reason::success;
}

Reason read_credentials(wire::Reader& r, std::uint8_t flags, Connect& out) {
  if ((flags & k_flag_username) != 0) {
    out.username.emplace();
    if (!read_utf8(r, *out.username)) {
      return Reason::malformed_packet;  // [MQTT-3.1.3-11]
    }
  }
  if ((flags & k_flag_password) != 0) {
    const std::string_view password = r.prefixed();
    if (!r.ok()) {
      return Reason::malformed_packet;
    }
    out.password.emplace(password);
  }
  return Reason::success;
}

}  // namespace

bool read_utf8(wire::Reader& r, std::string& out) {
  const std::string_view text = r.prefixed();
  if (!r.ok() || !valid_utf8(text)) {
    return false;
  }
  out.assign(text);
  return true;
}

Reason decode_connect(wire::Reader& r, Connect& out) {
  const std::string_view name = r.prefixed();
  const std::uint8_t level = r.u8();
  if (!r.ok()) {
    return Reason::malformed_packet;
  }
  const Protocol protocol = classify(name, level);
  out.version = protocol.version;
  if (!protocol.supported) {
    return Reason::unsupported_protocol_version;  // [MQTT-3.1.2-2]; rest not parsed
  }
  const std::uint8_t flags = r.u8();
  out.keep_alive = r.u16();
  if (!r.ok()) {
    return Reason::malformed_packet;
  }
  if (const Reason rc = check_flags(flags, out.version); rc != Reason::success) {
    return rc;
  }
  out.clean_start = (flags & k_flag_clean) != 0;
  if (out.version == Version::v5) {
    if (const Reason rc = read_properties(r, PropContext::connect, out.properties);
        rc != Reason::success) {
      return rc;
    }
    if (out.properties.authentication_data && !out.properties.authentication_method) {
      return Reason::protocol_error;  // [MQTT 3.1.2.11.10]
    }
  }
  if (!read_utf8(r, out.client_id)) {
    return Reason::malformed_packet;  // [MQTT-3.1.3-4]
  }
  if ((flags & k_flag_will) != 0) {
    if (const Reason rc = read_will(r, flags, out.version, out.will.emplace());
        rc != Reason::success) {
      return rc;
    }
  }
  if (const Reason rc = read_credentials(r, flags, out); rc != Reason::success) {
    return rc;
  }
  if (!r.at_end()) {
    return Reason::malformed_packet;  // trailing bytes
  }
  return check_client_id(out);
}

Reason decode_connack(wire::Reader& r, Version version, Connack& out) {
  const std::uint8_t flags = r.u8();
  const std::uint8_t code = r.u8();
  if (!r.ok()) {
    return Reason::malformed_packet;
  }
  if (version != Version::v3_1) {  // 3.1 has an unused byte here
    if ((flags & 0xFE) != 0) {
      return Reason::malformed_packet;  // [MQTT-3.2.2-1]
    }
    out.session_present = (flags & 0x01) != 0;
  }
  if (version != Version::v5) {
    static constexpr Reason k_v3[] = {Reason::success,
                                      Reason::unsupported_protocol_version,
                                      Reason::client_identifier_not_valid,
                                      Reason::server_unavailable,
                                      Reason::bad_user_name_or_password,
                                      Reason::not_authorized};
    if (code > 5) {
      return Reason::malformed_packet;  // [MQTT 3.2.2.3] 6-255 reserved
    }
    out.reason = k_v3[code];
    return Reason::success;
  }
  if (!valid_v5_reason(PacketType::connack, code)) {
    return Reason::malformed_packet;
  }
  out.reason = static_cast<Reason>(code);
  return read_properties(r, PropContext::connack, out.properties);
}

}  // namespace ferry::mqtt::detail
