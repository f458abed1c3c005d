// Packet encoding. Each body is one template written against a sink, run twice: once
// with SizeSink to learn the remaining length (and reserve), once with StringSink.
#include <variant>

#include "protocol/mqtt/codec.hpp"
#include "protocol/mqtt/properties.hpp"
#include "protocol/mqtt/wire.hpp"

namespace ferry::mqtt {

namespace {

using wire::SizeSink;
using wire::StringSink;

void put_props(const Properties& p, SizeSink& s) {
  s.n += properties_wire_size(p);
}
void put_props(const Properties& p, StringSink& s) {
  put_properties(p, s.out);
}

std::uint8_t code(Reason r) {
  return static_cast<std::uint8_t>(r);
}

std::uint8_t connect_flags(const Connect& c) {
  std::uint8_t flags = c.clean_start ? 0x02 : 0x00;
  if (c.will) {
    flags |= 0x04;
    flags |= static_cast<std::uint8_t>((c.will->qos & 0x03) << 3);
    flags |= c.will->retain ? 0x20 : 0x00;
  }
  flags |= c.password ? 0x40 : 0x00;
  flags |= c.username ? 0x80 : 0x00;
  return flags;
}

// CONNECT carries its own version [MQTT 3.1.2.1-2]; the connection's is ignored.
template <class Sink>
void body(const Connect& c, Version, Sink& s) {
  const bool v31 = c.version == Version::v3_1;
  s.prefixed(v31 ? "MQIsdp" : "MQTT");
  s.u8(static_cast<std::uint8_t>(c.version));
  s.u8(connect_flags(c));
  s.u16(c.keep_alive);
  const bool v5 = c.version == Version::v5;
  if (v5) {
    put_props(c.properties, s);
  }
  s.prefixed(c.client_id);
  if (c.will) {
    if (v5) {
      put_props(c.will->properties, s);
    }
    s.prefixed(c.will->topic);
    s.prefixed(c.will->payload);
  }
  if (c.username) {
    s.prefixed(*c.username);
  }
  if (c.password) {
    s.prefixed(*c.password);
  }
}

template <class Sink>
void body(const Connack& c, Version v, Sink& s) {
  s.u8(v != Version::v3_1 && c.session_present ? 0x01 : 0x00);  // 3.1: unused byte
  if (v != Version::v5) {
    s.u8(v3_connack_code(c.reason));
    return;
  }
  s.u8(code(c.reason));
  put_props(c.properties, s);
}

template <class Sink>
void publish_head(const Publish& p, Version v, Sink& s) {
  s.prefixed(p.topic);
  if (p.qos > 0) {
    s.u16(p.packet_id);
  }
  if (v == Version::v5) {
    put_props(p.properties, s);
  }
}

template <class Sink>
void body(const Publish& p, Version v, Sink& s) {
  publish_head(p, v, s);
  s.raw(p.payload_view());
}

// Shortest v5 form: reason and properties omitted when success and none [MQTT 3.4.2.1];
// property length omitted when there are no properties [MQTT 3.4.2.2.1].
template <class Sink>
void body(const Ack& a, Version v, Sink& s) {
  s.u16(a.packet_id);
  if (v != Version::v5) {
    return;
  }
  const bool no_props = properties_empty(a.properties);
  if (a.reason == Reason::success && no_props) {
    return;
  }
  s.u8(code(a.reason));
  if (!no_props) {
    put_props(a.properties, s);
  }
}

template <class Sink>
void body(const Subscribe& p, Version v, Sink& s) {
  s.u16(p.packet_id);
  const bool v5 = v == Version::v5;
  if (v5) {
    put_props(p.properties, s);
  }
  for (const SubscribeTopic& t : p.topics) {
    s.prefixed(t.filter);
    std::uint8_t options = t.qos & 0x03;
    if (v5) {
      options |= t.no_local ? 0x04 : 0x00;
      options |= t.retain_as_published ? 0x08 : 0x00;
      options |= static_cast<std::uint8_t>((t.retain_handling & 0x03) << 4);
    }
    s.u8(options);
  }
}

// 3.x SUBACK return codes are the granted QoS or 0x80 for any failure [MQTT 3.9.3].
template <class Sink>
void body(const Suback& p, Version v, Sink& s) {
  s.u16(p.packet_id);
  const bool v5 = v == Version::v5;
  if (v5) {
    put_props(p.properties, s);
  }
  for (const Reason r : p.reasons) {
    s.u8(v5 || code(r) <= 2 ? code(r) : 0x80);
  }
}

template <class Sink>
void body(const Unsubscribe& p, Version v, Sink& s) {
  s.u16(p.packet_id);
  if (v == Version::v5) {
    put_props(p.properties, s);
  }
  for (const std::string& f : p.filters) {
    s.prefixed(f);
  }
}

template <class Sink>
void body(const Unsuback& p, Version v, Sink& s) {
  s.u16(p.packet_id);
  if (v != Version::v5) {
    return;  // 3.x UNSUBACK has no payload [MQTT 3.11]
  }
  put_props(p.properties, s);
  for (const Reason r : p.reasons) {
    s.u8(code(r));
  }
}

template <class Sink>
void body(const Pingreq&, Version, Sink&) {}

template <class Sink>
void body(const Pingresp&, Version, Sink&) {}

// DISCONNECT: empty for 3.x and for a v5 normal disconnection without properties;
// reason only when there are no properties [MQTT 3.14.2.1, 3.14.2.2.1].
template <class Sink>
void body(const Disconnect& p, Version v, Sink& s) {
  if (v != Version::v5) {
    return;
  }
  const bool no_props = properties_empty(p.properties);
  if (p.reason == Reason::success && no_props) {
    return;
  }
  s.u8(code(p.reason));
  if (!no_props) {
    put_props(p.properties, s);
  }
}

// AUTH: only the both-omitted short form exists [MQTT 3.15.2.1]. AUTH does not exist
// before 5.0; asked anyway, the body is left empty.
template <class Sink>
void body(const Auth& p, Version v, Sink& s) {
  if (v != Version::v5 || (p.reason == Reason::success && properties_empty(p.properties))) {
    return;
  }
  s.u8(code(p.reason));
  put_props(p.properties, s);
}

std::uint8_t first_byte(const Packet& packet) {
  const auto type = static_cast<std::uint8_t>(type_of(packet));
  std::uint8_t flags = 0;
  if (const auto* p = std::get_if<Publish>(&packet)) {
    flags = static_cast<std::uint8_t>((p->dup ? 0x08 : 0) | ((p->qos & 0x03) << 1) |
                                      (p->retain ? 0x01 : 0));
  } else if (type == 6 || type == 8 || type == 10) {
    flags = 0x02;  // PUBREL, SUBSCRIBE, UNSUBSCRIBE [MQTT-3.6.1-1, 3.8.1-1, 3.10.1-1]
  }
  return static_cast<std::uint8_t>((type << 4) | flags);
}

std::size_t body_size(const Packet& packet, Version version) {
  return std::visit(
      [&](const auto& p) {
        SizeSink size;
        body(p, version, size);
        return size.n;
      },
      packet);
}

}  // namespace

void encode(const Packet& packet, Version version, std::string& out) {
  const std::size_t n = body_size(packet, version);
  out.reserve(out.size() + 1 + wire::varint_size(static_cast<std::uint32_t>(n)) + n);
  out.push_back(static_cast<char>(first_byte(packet)));
  wire::put_varint(static_cast<std::uint32_t>(n), out);
  std::visit(
      [&](const auto& p) {
        StringSink sink{out};
        body(p, version, sink);
      },
      packet);
}

void encode_publish_head(const Publish& publish, Version version, std::string& out) {
  SizeSink head;
  publish_head(publish, version, head);
  const auto n = static_cast<std::uint32_t>(head.n + publish.payload_view().size());
  out.reserve(out.size() + 1 + wire::varint_size(n) + head.n);
  out.push_back(static_cast<char>(0x30 | (publish.dup ? 0x08 : 0) | ((publish.qos & 0x03) << 1) |
                                  (publish.retain ? 0x01 : 0)));
  wire::put_varint(n, out);
  StringSink sink{out};
  publish_head(publish, version, sink);
}

std::size_t encoded_size(const Packet& packet, Version version) {
  const std::size_t n = body_size(packet, version);
  return 1 + wire::varint_size(static_cast<std::uint32_t>(n)) + n;
}

}  // namespace ferry::mqtt
