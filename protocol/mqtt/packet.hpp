// MQTT packet vocabulary shared by every protocol version (3.1, 3.1.1, 5.0) and by the
// MQTT-SN gateway, which translates into these same types. Plain data, std only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace ferry::mqtt {

using Bytes = std::string;  // binary data; std::string for cheap small-buffer storage
using SharedBytes = std::shared_ptr<const Bytes>;

/// Protocol level byte of CONNECT [MQTT-3.1.2-2].
enum class Version : std::uint8_t { v3_1 = 3, v3_1_1 = 4, v5 = 5 };

enum class PacketType : std::uint8_t {
  connect = 1,
  connack = 2,
  publish = 3,
  puback = 4,
  pubrec = 5,
  pubrel = 6,
  pubcomp = 7,
  subscribe = 8,
  suback = 9,
  unsubscribe = 10,
  unsuback = 11,
  pingreq = 12,
  pingresp = 13,
  disconnect = 14,
  auth = 15,
};

/// MQTT 5.0 reason codes [MQTT 2.4]. For 3.x peers the codec maps them to the
/// version's return codes (CONNACK 0..5, SUBACK 0,1,2,0x80).
enum class Reason : std::uint8_t {
  success = 0x00,  // also normal disconnection and granted QoS 0
  granted_qos1 = 0x01,
  granted_qos2 = 0x02,
  disconnect_with_will = 0x04,
  no_matching_subscribers = 0x10,
  no_subscription_existed = 0x11,
  continue_authentication = 0x18,
  reauthenticate = 0x19,
  unspecified_error = 0x80,
  malformed_packet = 0x81,
  protocol_error = 0x82,
  implementation_specific_error = 0x83,
  unsupported_protocol_version = 0x84,
  client_identifier_not_valid = 0x85,
  bad_user_name_or_password = 0x86,
  not_authorized = 0x87,
  server_unavailable = 0x88,
  server_busy = 0x89,
  banned = 0x8A,
  server_shutting_down = 0x8B,
  bad_authentication_method = 0x8C,
  keep_alive_timeout = 0x8D,
  session_taken_over = 0x8E,
  topic_filter_invalid = 0x8F,
  topic_name_invalid = 0x90,
  packet_identifier_in_use = 0x91,
  packet_identifier_not_found = 0x92,
  receive_maximum_exceeded = 0x93,
  topic_alias_invalid = 0x94,
  packet_too_large = 0x95,
  message_rate_too_high = 0x96,
  quota_exceeded = 0x97,
  administrative_action = 0x98,
  payload_format_invalid = 0x99,
  retain_not_supported = 0x9A,
  qos_not_supported = 0x9B,
  use_another_server = 0x9C,
  server_moved = 0x9D,
  shared_subscriptions_not_supported = 0x9E,
  connection_rate_exceeded = 0x9F,
  maximum_connect_time = 0xA0,
  subscription_identifiers_not_supported = 0xA1,
  wildcard_subscriptions_not_supported = 0xA2,
};

inline bool is_error(Reason r) {
  return static_cast<std::uint8_t>(r) >= 0x80;
}

using UserProperty = std::pair<std::string, std::string>;

/// Every MQTT 5.0 property [MQTT 2.2.2.2]. Absent = not sent. 3.x packets carry none.
struct Properties {
  std::optional<std::uint8_t> payload_format_indicator;      // 0x01
  std::optional<std::uint32_t> message_expiry_interval;      // 0x02
  std::optional<std::string> content_type;                   // 0x03
  std::optional<std::string> response_topic;                 // 0x08
  std::optional<Bytes> correlation_data;                     // 0x09
  std::vector<std::uint32_t> subscription_identifiers;       // 0x0B (varint, repeatable in PUBLISH)
  std::optional<std::uint32_t> session_expiry_interval;      // 0x11
  std::optional<std::string> assigned_client_identifier;     // 0x12
  std::optional<std::uint16_t> server_keep_alive;            // 0x13
  std::optional<std::string> authentication_method;          // 0x15
  std::optional<Bytes> authentication_data;                  // 0x16
  std::optional<std::uint8_t> request_problem_information;   // 0x17
  std::optional<std::uint32_t> will_delay_interval;          // 0x18
  std::optional<std::uint8_t> request_response_information;  // 0x19
  std::optional<std::string> response_information;           // 0x1A
  std::optional<std::string> server_reference;               // 0x1C
  std::optional<std::string> reason_string;                  // 0x1F
  std::optional<std::uint16_t> receive_maximum;              // 0x21
  std::optional<std::uint16_t> topic_alias_maximum;          // 0x22
  std::optional<std::uint16_t> topic_alias;                  // 0x23
  std::optional<std::uint8_t> maximum_qos;                   // 0x24
  std::optional<std::uint8_t> retain_available;              // 0x25
  std::vector<UserProperty> user_properties;                 // 0x26 (repeatable, order kept)
  std::optional<std::uint32_t> maximum_packet_size;          // 0x27
  std::optional<std::uint8_t> wildcard_subscription_available;    // 0x28
  std::optional<std::uint8_t> subscription_identifier_available;  // 0x29
  std::optional<std::uint8_t> shared_subscription_available;      // 0x2A

  bool operator==(const Properties&) const = default;
};

struct Will {
  std::string topic;
  Bytes payload;
  std::uint8_t qos = 0;
  bool retain = false;
  Properties properties;  // will properties (v5)
  bool operator==(const Will&) const = default;
};

struct Connect {
  Version version = Version::v3_1_1;
  bool clean_start = true;  // "clean session" in 3.x
  std::uint16_t keep_alive = 0;
  std::string client_id;
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<Bytes> password;
  Properties properties;
  bool operator==(const Connect&) const = default;
};

struct Connack {
  bool session_present = false;
  Reason reason = Reason::success;
  Properties properties;
  bool operator==(const Connack&) const = default;
};

struct Publish {
  std::uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  std::string topic;            // may be empty in v5 when a topic alias is used
  std::uint16_t packet_id = 0;  // only when qos > 0
  Properties properties;
  SharedBytes payload;  // never null after decode; shared by every subscriber

  std::string_view payload_view() const { return payload ? std::string_view(*payload) : ""; }
  bool operator==(const Publish& o) const {
    return qos == o.qos && retain == o.retain && dup == o.dup && topic == o.topic &&
           packet_id == o.packet_id && properties == o.properties &&
           payload_view() == o.payload_view();
  }
};

/// PUBACK, PUBREC, PUBREL and PUBCOMP share one shape [MQTT 3.4-3.7].
struct Ack {
  std::uint16_t packet_id = 0;
  Reason reason = Reason::success;
  Properties properties;
  bool operator==(const Ack&) const = default;
};
struct Puback : Ack {};
struct Pubrec : Ack {};
struct Pubrel : Ack {};
struct Pubcomp : Ack {};

struct SubscribeTopic {
  std::string filter;
  std::uint8_t qos = 0;
  bool no_local = false;             // v5
  bool retain_as_published = false;  // v5
  std::uint8_t retain_handling = 0;  // v5: 0 send, 1 send if new, 2 never
  bool operator==(const SubscribeTopic&) const = default;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  std::vector<SubscribeTopic> topics;
  Properties properties;
  bool operator==(const Subscribe&) const = default;
};

struct Suback {
  std::uint16_t packet_id = 0;
  std::vector<Reason> reasons;  // granted QoS (0..2) or an error code; 3.x: error -> 0x80
  Properties properties;
  bool operator==(const Suback&) const = default;
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  std::vector<std::string> filters;
  Properties properties;
  bool operator==(const Unsubscribe&) const = default;
};

struct Unsuback {
  std::uint16_t packet_id = 0;
  std::vector<Reason> reasons;  // v5 only; 3.x UNSUBACK has no payload
  Properties properties;
  bool operator==(const Unsuback&) const = default;
};

struct Pingreq {
  bool operator==(const Pingreq&) const = default;
};
struct Pingresp {
  bool operator==(const Pingresp&) const = default;
};

struct Disconnect {
  Reason reason = Reason::success;
  Properties properties;
  bool operator==(const Disconnect&) const = default;
};

struct Auth {
  Reason reason = Reason::success;
  Properties properties;
  bool operator==(const Auth&) const = default;
};

/// Alternative index + 1 == PacketType value.
using Packet = std::variant<Connect, Connack, Publish, Puback, Pubrec, Pubrel, Pubcomp, Subscribe,
                            Suback, Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect, Auth>;

inline PacketType type_of(const Packet& p) {
  return static_cast<PacketType>(p.index() + 1);
}

}  // namespace ferry::mqtt
