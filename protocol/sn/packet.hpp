// MQTT-SN 1.2 message vocabulary [MQTT-SN 5]: one struct per message type, plain data,
// std only. The gateway session translates these into the mqtt:: packets the broker routes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace ferry::sn {

using Bytes = std::string;  // binary data

/// MsgType field values [MQTT-SN 5.2.2, Table 3]. 0x03, 0x11, 0x19, 0x1E-0xFD and 0xFF
/// are reserved.
enum class MsgType : std::uint8_t {
  advertise = 0x00,
  searchgw = 0x01,
  gwinfo = 0x02,
  connect = 0x04,
  connack = 0x05,
  willtopicreq = 0x06,
  willtopic = 0x07,
  willmsgreq = 0x08,
  willmsg = 0x09,
  register_ = 0x0A,
  regack = 0x0B,
  publish = 0x0C,
  puback = 0x0D,
  pubcomp = 0x0E,
  pubrec = 0x0F,
  pubrel = 0x10,
  subscribe = 0x12,
  suback = 0x13,
  unsubscribe = 0x14,
  unsuback = 0x15,
  pingreq = 0x16,
  pingresp = 0x17,
  disconnect = 0x18,
  willtopicupd = 0x1A,
  willtopicresp = 0x1B,
  willmsgupd = 0x1C,
  willmsgresp = 0x1D,
  encapsulated = 0xFE,
};

/// ReturnCode field [MQTT-SN 5.3.10, Table 5]; 0x04-0xFF are reserved.
enum class ReturnCode : std::uint8_t {
  accepted = 0x00,
  congestion = 0x01,        // "rejected: congestion"
  invalid_topic_id = 0x02,  // "rejected: invalid topic ID"
  not_supported = 0x03,     // "rejected: not supported"
};

/// TopicIdType, bits 1-0 of the Flags byte [MQTT-SN 5.3.4]; 0b11 is reserved.
/// In SUBSCRIBE/UNSUBSCRIBE `normal` means "a topic name follows".
enum class TopicIdType : std::uint8_t { normal = 0, predefined = 1, short_name = 2 };

/// The Flags byte [MQTT-SN 5.3.4, Table 4]. Which bits are meaningful depends on the
/// message; the codec carries all of them so encode(decode(x)) == x.
struct Flags {
  bool dup = false;                                 // bit 7
  std::int8_t qos = 0;                              // bits 6-5: 0, 1, 2, or -1 (0b11)
  bool retain = false;                              // bit 4
  bool will = false;                                // bit 3
  bool clean_session = false;                       // bit 2
  TopicIdType topic_id_type = TopicIdType::normal;  // bits 1-0
  bool operator==(const Flags&) const = default;
};

std::uint8_t flags_byte(const Flags& flags);

/// Gateway-only messages [MQTT-SN 5.4.1-5.4.3]: handled by the gateway driver, not a session.
struct Advertise {
  std::uint8_t gw_id = 0;
  std::uint16_t duration = 0;  // seconds until the next ADVERTISE
  bool operator==(const Advertise&) const = default;
};
struct Searchgw {
  std::uint8_t radius = 0;
  bool operator==(const Searchgw&) const = default;
};
struct Gwinfo {
  std::uint8_t gw_id = 0;
  Bytes gw_address;  // present only when sent by a client [MQTT-SN 5.4.3]
  bool operator==(const Gwinfo&) const = default;
};

/// [MQTT-SN 5.4.4]: Flags (Will, CleanSession), ProtocolId (0x01), Duration, ClientId.
struct Connect {
  Flags flags;
  std::uint16_t duration = 0;  // keep alive, seconds
  std::string client_id;
  bool operator==(const Connect&) const = default;
};
struct Connack {
  ReturnCode return_code = ReturnCode::accepted;
  bool operator==(const Connack&) const = default;
};
struct Willtopicreq {
  bool operator==(const Willtopicreq&) const = default;
};
/// [MQTT-SN 5.4.7]: Flags (QoS, Retain) and WillTopic. An empty topic is the "empty
/// WILLTOPIC" of two octets, without Flags, which deletes the will.
struct Willtopic {
  Flags flags;
  std::string topic;
  bool operator==(const Willtopic&) const = default;
};
struct Willmsgreq {
  bool operator==(const Willmsgreq&) const = default;
};
struct Willmsg {
  Bytes message;
  bool operator==(const Willmsg&) const = default;
};
/// [MQTT-SN 5.4.9]: TopicId is 0x0000 from a client; the assigned id from a gateway.
struct Register {
  std::uint16_t topic_id = 0;
  std::uint16_t msg_id = 0;
  std::string topic_name;
  bool operator==(const Register&) const = default;
};
struct Regack {
  std::uint16_t topic_id = 0;
  std::uint16_t msg_id = 0;
  ReturnCode return_code = ReturnCode::accepted;
  bool operator==(const Regack&) const = default;
};
/// [MQTT-SN 5.4.11]: for a short topic name, `topic_id` holds its two characters
/// (first character in the high byte, see short_topic_id()).
struct Publish {
  Flags flags;
  std::uint16_t topic_id = 0;
  std::uint16_t msg_id = 0;  // 0x0000 for QoS 0 and -1
  Bytes data;
  bool operator==(const Publish&) const = default;
};
struct Puback {
  std::uint16_t topic_id = 0;
  std::uint16_t msg_id = 0;
  ReturnCode return_code = ReturnCode::accepted;
  bool operator==(const Puback&) const = default;
};
/// PUBREC, PUBREL and PUBCOMP carry only MsgId [MQTT-SN 5.4.13].
struct Pubcomp {
  std::uint16_t msg_id = 0;
  bool operator==(const Pubcomp&) const = default;
};
struct Pubrec {
  std::uint16_t msg_id = 0;
  bool operator==(const Pubrec&) const = default;
};
struct Pubrel {
  std::uint16_t msg_id = 0;
  bool operator==(const Pubrel&) const = default;
};
/// [MQTT-SN 5.4.14, 5.4.16]: a topic name (TopicIdType normal, in `topic_name`), or a
/// predefined topic id / short topic name (in `topic_id`).
struct Subscribe {
  Flags flags;
  std::uint16_t msg_id = 0;
  std::string topic_name;
  std::uint16_t topic_id = 0;
  bool operator==(const Subscribe&) const = default;
};
struct Suback {
  Flags flags;  // granted QoS
  std::uint16_t topic_id = 0;
  std::uint16_t msg_id = 0;
  ReturnCode return_code = ReturnCode::accepted;
  bool operator==(const Suback&) const = default;
};
struct Unsubscribe {
  Flags flags;
  std::uint16_t msg_id = 0;
  std::string topic_name;
  std::uint16_t topic_id = 0;
  bool operator==(const Unsubscribe&) const = default;
};
struct Unsuback {
  std::uint16_t msg_id = 0;
  bool operator==(const Unsuback&) const = default;
};
/// [MQTT-SN 5.4.18]: ClientId only when a sleeping client wakes up (empty = absent).
struct Pingreq {
  std::string client_id;
  bool operator==(const Pingreq&) const = default;
};
struct Pingresp {
  bool operator==(const Pingresp&) const = default;
};
/// [MQTT-SN 5.4.20]: Duration only when a client goes to sleep.
struct Disconnect {
  std::optional<std::uint16_t> duration;
  bool operator==(const Disconnect&) const = default;
};
/// [MQTT-SN 5.4.21]: empty topic = the two-octet form that deletes the will.
struct Willtopicupd {
  Flags flags;
  std::string topic;
  bool operator==(const Willtopicupd&) const = default;
};
struct Willtopicresp {
  ReturnCode return_code = ReturnCode::accepted;
  bool operator==(const Willtopicresp&) const = default;
};
struct Willmsgupd {
  Bytes message;
  bool operator==(const Willmsgupd&) const = default;
};
struct Willmsgresp {
  ReturnCode return_code = ReturnCode::accepted;
  bool operator==(const Willmsgresp&) const = default;
};
/// Forwarder encapsulation [MQTT-SN 5.5]: Ctrl (bits 1-0 broadcast radius, others
/// reserved), Wireless Node Id, then one whole MQTT-SN message kept as its bytes.
struct Encapsulated {
  std::uint8_t ctrl = 0;
  Bytes node_id;
  Bytes message;
  bool operator==(const Encapsulated&) const = default;
};

using Message =
    std::variant<Advertise, Searchgw, Gwinfo, Connect, Connack, Willtopicreq, Willtopic, Willmsgreq,
                 Willmsg, Register, Regack, Publish, Puback, Pubcomp, Pubrec, Pubrel, Subscribe,
                 Suback, Unsubscribe, Unsuback, Pingreq, Pingresp, Disconnect, Willtopicupd,
                 Willtopicresp, Willmsgupd, Willmsgresp, Encapsulated>;

MsgType type_of(const Message& message);

/// The two characters of a short topic name packed into a TopicId field [MQTT-SN 5.3.11, 6.7].
inline std::uint16_t short_topic_id(std::string_view name) {
  return static_cast<std::uint16_t>((static_cast<std::uint8_t>(name[0]) << 8) |
                                    static_cast<std::uint8_t>(name[1]));
}
inline std::string short_topic_name(std::uint16_t id) {
  return std::string{static_cast<char>(id >> 8), static_cast<char>(id & 0xFF)};
}

}  // namespace ferry::sn
