// Packet decoding [MQTT 3.x] with the spec's malformed-packet and protocol-error rules.
// CONNECT/CONNACK live in decode_connect.cpp.
#include <array>
#include <bitset>
#include <initializer_list>
#include <memory>

#include "protocol/mqtt/codec.hpp"
#include "protocol/mqtt/decode_internal.hpp"
#include "protocol/mqtt/properties.hpp"
#include "protocol/mqtt/topic.hpp"

namespace ferry::mqtt {

namespace detail {

namespace {

using ReasonSet = std::bitset<256>;

ReasonSet make_set(std::initializer_list<std::uint8_t> codes) {
  ReasonSet set;
  for (const std::uint8_t c : codes) {
    set.set(c);
  }
  return set;
}

// Allowed reason codes per packet type, index = PacketType value [MQTT 2.4].
const std::array<ReasonSet, 16> k_reasons = [] {
  std::array<ReasonSet, 16> t{};
  const auto pub = make_set({0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99});
  const auto rel = make_set({0x00, 0x92});
  t[2] = make_set({0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
                   0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F});
  t[4] = pub;
  t[5] = pub;
  t[6] = rel;
  t[7] = rel;
  t[9] = make_set({0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2});
  t[11] = make_set({0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91});
  t[14] = make_set({0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D,
                    0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
                    0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2});
  t[15] = make_set({0x00, 0x18, 0x19});
  return t;
}();

}  // namespace

bool valid_v5_reason(PacketType type, std::uint8_t code) {
  return k_reasons[static_cast<std::size_t>(type) & 0x0F].test(code);
}

}  // namespace detail

namespace {

using wire::Reader;

// Reads a packet identifier that must be non-zero [MQTT-2.2.1-3].
Reason read_packet_id(Reader& r, std::uint16_t& id) {
  id = r.u16();
  if (!r.ok()) {
    return Reason::malformed_packet;
  }
  return id == 0 ? Reason::protocol_error : Reason::success;
}

// A PUBLISH topic: UTF-8 errors are malformed [MQTT-1.5.4-1]; wildcards are "Topic Name
// invalid" [MQTT-3.3.2-2]; empty is allowed in v5 only with a Topic Alias
// [MQTT 3.3.2.1] (protocol error otherwise), never in 3.x [MQTT-4.7.3-1].
Reason check_publish_topic(const Publish& p, Version version) {
  if (p.topic.empty()) {
    if (version != Version::v5) {
      return Reason::topic_name_invalid;
    }
    return p.properties.topic_alias ? Reason::success : Reason::protocol_error;
  }
  return valid_topic_name(p.topic) ? Reason::success : Reason::topic_name_invalid;
}

Reason decode_publish(Reader& r, std::uint8_t flags, Version version, Publish& p) {
  p.retain = (flags & 0x01) != 0;
  p.qos = (flags >> 1) & 0x03;
  p.dup = (flags & 0x08) != 0;
  if (p.qos == 3) {
    return Reason::malformed_packet;  // [MQTT-3.3.1-4]
  }
  if (p.dup && p.qos == 0) {
    return Reason::malformed_packet;  // [MQTT-3.3.1-2]
  }
  if (!detail::read_utf8(r, p.topic)) {
    return Reason::malformed_packet;
  }
  if (p.qos > 0) {
    if (const Reason rc = read_packet_id(r, p.packet_id); rc != Reason::success) {
      return rc;
    }
  }
  if (version == Version::v5) {
    if (const Reason rc = read_properties(r, PropContext::publish, p.properties);
        rc != Reason::success) {
      return rc;
    }
  }
  if (const Reason rc = check_publish_topic(p, version); rc != Reason::success) {
    return rc;
  }
  p.payload = std::make_shared<const std::string>(r.rest());
  return Reason::success;
}

// v5 tail shared by the acks, DISCONNECT and AUTH: an optional reason code followed by
// optional properties; both absent means success [MQTT 3.4.2.1, 3.14.2.1, 3.15.2.1].
Reason read_reason_tail(Reader& r, PacketType type, PropContext ctx, Reason& reason,
                        Properties& props) {
  if (r.at_end()) {
    reason = Reason::success;
    return Reason::success;
  }
  const std::uint8_t code = r.u8();
  if (!detail::valid_v5_reason(type, code)) {
    return Reason::malformed_packet;
  }
  reason = static_cast<Reason>(code);
  return r.at_end() ? Reason::success : read_properties(r, ctx, props);
}

Reason decode_ack(Reader& r, PacketType type, Version version, Ack& ack) {
  if (const Reason rc = read_packet_id(r, ack.packet_id); rc != Reason::success) {
    return rc;
  }
  if (version != Version::v5) {
    return Reason::success;  // exactly two bytes; trailing bytes caught by the caller
  }
  return read_reason_tail(r, type, PropContext::ack, ack.reason, ack.properties);
}

Reason read_subscribe_topic(Reader& r, Version version, SubscribeTopic& t) {
  if (!detail::read_utf8(r, t.filter)) {
    return Reason::malformed_packet;
  }
  const std::uint8_t options = r.u8();
  if (!r.ok()) {
    return Reason::malformed_packet;
  }
  t.qos = options & 0x03;
  t.no_local = (options & 0x04) != 0;
  t.retain_as_published = (options & 0x08) != 0;
  t.retain_handling = (options >> 4) & 0x03;
  const std::uint8_t reserved = version == Version::v5 ? 0xC0 : 0xFC;
  if ((options & reserved) != 0 || t.qos == 3 || t.retain_handling == 3) {
    return Reason::malformed_packet;  // [MQTT-3.8.3-4 (3.1.1)], [MQTT-3.8.3-5 (5.0)]
  }
  return Reason::success;
}

// Filters are kept as read (UTF-8 checked): their syntax is judged per topic by the
// caller, which answers SUBACK 0x8F for a bad one [MQTT 3.9.3].
Reason decode_subscribe(Reader& r, Version version, Subscribe& s) {
  if (const Reason rc = read_packet_id(r, s.packet_id); rc != Reason::success) {
    return rc;
  }
  if (version == Version::v5) {
    if (const Reason rc = read_properties(r, PropContext::subscribe, s.properties);
        rc != Reason::success) {
      return rc;
    }
  }
  if (r.at_end()) {
    return Reason::protocol_error;  // [MQTT-3.8.3-3] no topic filters
  }
  while (!r.at_end()) {
    if (const Reason rc = read_subscribe_topic(r, version, s.topics.emplace_back());
        rc != Reason::success) {
      return rc;
    }
  }
  return Reason::success;
}

Reason decode_unsubscribe(Reader& r, Version version, Unsubscribe& u) {
  if (const Reason rc = read_packet_id(r, u.packet_id); rc != Reason::success) {
    return rc;
  }
  if (version == Version::v5) {
    if (const Reason rc = read_properties(r, PropContext::unsubscribe, u.properties);
        rc != Reason::success) {
      return rc;
    }
  }
  if (r.at_end()) {
    return Reason::protocol_error;  // [MQTT-3.10.3-2] no topic filters
  }
  while (!r.at_end()) {
    if (!detail::read_utf8(r, u.filters.emplace_back())) {
      return Reason::malformed_packet;
    }
  }
  return Reason::success;
}

// SUBACK and (v5) UNSUBACK: packet id, properties, one reason code per topic.
Reason decode_reason_list(Reader& r, PacketType type, Version version, std::uint16_t& id,
                          std::vector<Reason>& reasons, Properties& props) {
  if (const Reason rc = read_packet_id(r, id); rc != Reason::success) {
    return rc;
  }
  if (version == Version::v5) {
    const auto ctx = type == PacketType::suback ? PropContext::suback : PropContext::unsuback;
    if (const Reason rc = read_properties(r, ctx, props); rc != Reason::success) {
      return rc;
    }
  } else if (type == PacketType::unsuback) {
    return Reason::success;  // 3.x UNSUBACK is the packet id only [MQTT 3.11]
  }
  if (r.at_end()) {
    return Reason::protocol_error;  // one code per requested topic, so at least one
  }
  const std::string_view codes = r.rest();
  reasons.reserve(codes.size());
  for (const char ch : codes) {
    const auto code = static_cast<std::uint8_t>(ch);
    const bool ok =
        version == Version::v5 ? detail::valid_v5_reason(type, code) : (code <= 2 || code == 0x80);
    if (!ok) {
      return Reason::malformed_packet;  // [MQTT-3.9.3-2] (3.1.1) reserved return code
    }
    reasons.push_back(static_cast<Reason>(code));
  }
  return Reason::success;
}

}  // namespace

namespace {

// Fixed header flags [MQTT-2.2.2-1, -2]: PUBREL, SUBSCRIBE and UNSUBSCRIBE carry 0b0010,
// every other type but PUBLISH carries 0.
bool valid_fixed_flags(PacketType type, std::uint8_t flags) {
  switch (type) {
    case PacketType::publish:
      return true;  // checked by decode_publish
    case PacketType::pubrel:
    case PacketType::subscribe:
    case PacketType::unsubscribe:
      return flags == 0x02;
    default:
      return flags == 0;
  }
}

template <class T>
Reason decode_tail(Reader& r, PacketType type, Version version, PropContext ctx, T& p) {
  if (version != Version::v5) {
    return Reason::success;  // 3.x DISCONNECT has no variable header [MQTT 3.14]
  }
  return read_reason_tail(r, type, ctx, p.reason, p.properties);
}

// One case per packet type; a plain dispatch table, hence longer than ~40 lines.
Reason decode_body(Reader& r, PacketType type, std::uint8_t flags, Version version, Packet& out) {
  switch (type) {
    case PacketType::connect:
      return detail::decode_connect(r, out.emplace<Connect>());
    case PacketType::connack:
      return detail::decode_connack(r, version, out.emplace<Connack>());
    case PacketType::publish:
      return decode_publish(r, flags, version, out.emplace<Publish>());
    case PacketType::puback:
      return decode_ack(r, type, version, out.emplace<Puback>());
    case PacketType::pubrec:
      return decode_ack(r, type, version, out.emplace<Pubrec>());
    case PacketType::pubrel:
      return decode_ack(r, type, version, out.emplace<Pubrel>());
    case PacketType::pubcomp:
      return decode_ack(r, type, version, out.emplace<Pubcomp>());
    case PacketType::subscribe:
      return decode_subscribe(r, version, out.emplace<Subscribe>());
    case PacketType::suback: {
      auto& s = out.emplace<Suback>();
      return decode_reason_list(r, type, version, s.packet_id, s.reasons, s.properties);
    }
    case PacketType::unsubscribe:
      return decode_unsubscribe(r, version, out.emplace<Unsubscribe>());
    case PacketType::unsuback: {
      auto& u = out.emplace<Unsuback>();
      return decode_reason_list(r, type, version, u.packet_id, u.reasons, u.properties);
    }
    case PacketType::pingreq:
      out.emplace<Pingreq>();
      return Reason::success;
    case PacketType::pingresp:
      out.emplace<Pingresp>();
      return Reason::success;
    case PacketType::disconnect:
      return decode_tail(r, type, version, PropContext::disconnect, out.emplace<Disconnect>());
    case PacketType::auth:
      return decode_tail(r, type, version, PropContext::auth, out.emplace<Auth>());
  }
  return Reason::malformed_packet;
}

}  // namespace

Decoded decode(const Frame& frame, std::span<const std::uint8_t> body, Version version) {
  Decoded d;
  const unsigned type_bits = frame.first_byte >> 4;
  const auto flags = static_cast<std::uint8_t>(frame.first_byte & 0x0F);
  // Type 0 is reserved; AUTH (15) exists only in 5.0 ("Reserved" in 3.1.1 [MQTT 2.2.1]).
  if (body.size() != frame.remaining_length || type_bits == 0 ||
      (type_bits == 15 && version != Version::v5)) {
    d.reason = Reason::malformed_packet;
    return d;
  }
  const auto type = static_cast<PacketType>(type_bits);
  Reader r(body);
  // The body is decoded even when the flags are wrong so that a CONNECT still reports
  // its version (the caller needs it to pick the CONNACK format).
  d.reason = decode_body(r, type, flags, version, d.packet);
  if (!valid_fixed_flags(type, flags)) {
    d.reason = Reason::malformed_packet;
  } else if (d.reason == Reason::success && (!r.ok() || !r.at_end())) {
    d.reason = Reason::malformed_packet;  // truncated field or trailing bytes
  }
  return d;
}

}  // namespace ferry::mqtt
