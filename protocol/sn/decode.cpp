// MQTT-SN 1.2 decoder: header, then one reader per message type. Never throws.
#include <array>

#include "protocol/sn/codec.hpp"

namespace ferry::sn {
namespace {

/// Reads fields front to back; the first failure sticks in `error`.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> body) : body_(body) {}

  std::uint8_t u8() {
    if (!need(1)) {
      return 0;
    }
    return body_[pos_++];
  }
  std::uint16_t u16() {
    if (!need(2)) {
      return 0;
    }
    auto value = static_cast<std::uint16_t>((body_[pos_] << 8) | body_[pos_ + 1]);
    pos_ += 2;
    return value;
  }
  std::string rest() {
    std::string out(reinterpret_cast<const char*>(body_.data()) + pos_, body_.size() - pos_);
    pos_ = body_.size();
    return out;
  }
  Flags flags() { return parse_flags(u8()); }
  ReturnCode return_code() {
    std::uint8_t rc = u8();
    if (rc > static_cast<std::uint8_t>(ReturnCode::not_supported)) {
      fail(DecodeError::reserved_value);  // [MQTT-SN 5.3.10]
    }
    return static_cast<ReturnCode>(rc);
  }
  bool empty() const { return pos_ == body_.size(); }
  void fail(DecodeError error) {
    if (error_ == DecodeError::none) {
      error_ = error;
    }
  }
  /// The final verdict: fixed-size messages must be consumed exactly.
  DecodeError finish() {
    if (error_ == DecodeError::none && pos_ != body_.size()) {
      error_ = DecodeError::trailing_bytes;
    }
    return error_;
  }

  /// Flags [MQTT-SN 5.3.4]; QoS 0b11 is QoS -1.
  static Flags parse_flags(std::uint8_t b) {
    Flags f;
    f.dup = (b & 0x80) != 0;
    std::uint8_t qos = (b >> 5) & 0x03;
    f.qos = qos == 3 ? std::int8_t{-1} : static_cast<std::int8_t>(qos);
    f.retain = (b & 0x10) != 0;
    f.will = (b & 0x08) != 0;
    f.clean_session = (b & 0x04) != 0;
    f.topic_id_type = static_cast<TopicIdType>(b & 0x03);
    return f;
  }

 private:
  bool need(std::size_t n) {
    if (body_.size() - pos_ < n) {
      fail(DecodeError::truncated);
      return false;
    }
    return true;
  }

  std::span<const std::uint8_t> body_;
  std::size_t pos_ = 0;
  DecodeError error_ = DecodeError::none;
};

bool reserved_topic_type(const Flags& f) {
  return static_cast<std::uint8_t>(f.topic_id_type) == 3;  // [MQTT-SN 5.3.4]
}

template <class T>
Decoded done(T&& message, Reader& r) {
  return Decoded{std::forward<T>(message), r.finish()};
}

Decoded read_connect(Reader& r) {
  Connect c;
  c.flags = r.flags();
  if (r.u8() != 0x01) {
    r.fail(DecodeError::reserved_value);  // ProtocolId [MQTT-SN 5.3.8]
  }
  c.duration = r.u16();
  c.client_id = r.rest();
  return done(std::move(c), r);
}

/// WILLTOPIC and WILLTOPICUPD: empty body, or Flags + WillTopic [MQTT-SN 5.4.7, 5.4.21].
template <class T>
Decoded read_will_topic(Reader& r) {
  T t;
  if (!r.empty()) {
    t.flags = r.flags();
    t.topic = r.rest();
  }
  return done(std::move(t), r);
}

Decoded read_publish(Reader& r) {
  Publish p;
  p.flags = r.flags();
  if (reserved_topic_type(p.flags)) {
    r.fail(DecodeError::reserved_value);
  }
  p.topic_id = r.u16();
  p.msg_id = r.u16();
  p.data = r.rest();
  return done(std::move(p), r);
}

/// SUBSCRIBE and UNSUBSCRIBE [MQTT-SN 5.4.14, 5.4.16].
template <class T>
Decoded read_subscription(Reader& r) {
  T s;
  s.flags = r.flags();
  if (reserved_topic_type(s.flags)) {
    r.fail(DecodeError::reserved_value);
  }
  s.msg_id = r.u16();
  if (s.flags.topic_id_type == TopicIdType::normal) {
    s.topic_name = r.rest();
    if (s.topic_name.empty()) {
      r.fail(DecodeError::truncated);
    }
  } else {
    s.topic_id = r.u16();
  }
  return done(std::move(s), r);
}

Decoded read_disconnect(Reader& r) {
  Disconnect d;
  if (!r.empty()) {
    d.duration = r.u16();
  }
  return done(d, r);
}

Decoded read_ids(MsgType type, Reader& r) {
  switch (type) {
    case MsgType::register_: {
      Register m;
      m.topic_id = r.u16();
      m.msg_id = r.u16();
      m.topic_name = r.rest();
      return done(std::move(m), r);
    }
    case MsgType::regack: {
      Regack m{r.u16(), 0, {}};
      m.msg_id = r.u16();
      m.return_code = r.return_code();
      return done(m, r);
    }
    case MsgType::puback: {
      Puback m{r.u16(), 0, {}};
      m.msg_id = r.u16();
      m.return_code = r.return_code();
      return done(m, r);
    }
    case MsgType::suback: {
      Suback m;
      m.flags = r.flags();
      m.topic_id = r.u16();
      m.msg_id = r.u16();
      m.return_code = r.return_code();
      return done(m, r);
    }
    case MsgType::pubcomp:
      return done(Pubcomp{r.u16()}, r);
    case MsgType::pubrec:
      return done(Pubrec{r.u16()}, r);
    case MsgType::pubrel:
      return done(Pubrel{r.u16()}, r);
    default:
      return done(Unsuback{r.u16()}, r);
  }
}

// One case per message type [MQTT-SN 5.4]: long, but each case is the field list.
Decoded read_body(MsgType type, Reader& r) {
  switch (type) {
    case MsgType::advertise: {
      Advertise m{r.u8(), 0};
      m.duration = r.u16();
      return done(m, r);
    }
    case MsgType::searchgw:
      return done(Searchgw{r.u8()}, r);
    case MsgType::gwinfo: {
      Gwinfo m{r.u8(), {}};
      m.gw_address = r.rest();
      return done(std::move(m), r);
    }
    case MsgType::connect:
      return read_connect(r);
    case MsgType::connack:
      return done(Connack{r.return_code()}, r);
    case MsgType::willtopicreq:
      return done(Willtopicreq{}, r);
    case MsgType::willtopic:
      return read_will_topic<Willtopic>(r);
    case MsgType::willmsgreq:
      return done(Willmsgreq{}, r);
    case MsgType::willmsg:
      return done(Willmsg{r.rest()}, r);
    case MsgType::publish:
      return read_publish(r);
    case MsgType::subscribe:
      return read_subscription<Subscribe>(r);
    case MsgType::unsubscribe:
      return read_subscription<Unsubscribe>(r);
    case MsgType::pingreq:
      return done(Pingreq{r.rest()}, r);
    case MsgType::pingresp:
      return done(Pingresp{}, r);
    case MsgType::disconnect:
      return read_disconnect(r);
    case MsgType::willtopicupd:
      return read_will_topic<Willtopicupd>(r);
    case MsgType::willtopicresp:
      return done(Willtopicresp{r.return_code()}, r);
    case MsgType::willmsgupd:
      return done(Willmsgupd{r.rest()}, r);
    case MsgType::willmsgresp:
      return done(Willmsgresp{r.return_code()}, r);
    default:
      return read_ids(type, r);
  }
}

bool known_type(std::uint8_t t) {
  // Reserved: 0x03, 0x11, 0x19, 0x1E-0xFD, 0xFF [MQTT-SN 5.2.2]. 0xFE is handled apart.
  return t <= 0x1D && t != 0x03 && t != 0x11 && t != 0x19;
}

Decoded failure(DecodeError error) {
  return Decoded{Pingresp{}, error};
}

/// [MQTT-SN 5.5]: Length covers Length, MsgType, Ctrl and Wireless Node Id only.
Decoded decode_encapsulated(std::span<const std::uint8_t> d, std::size_t header,
                            std::size_t length) {
  if (length < header + 2 || length > d.size()) {
    return failure(DecodeError::length_mismatch);
  }
  Encapsulated e;
  e.ctrl = d[header + 1];
  if ((e.ctrl & 0xFC) != 0) {
    return failure(DecodeError::reserved_value);  // only the Radius bits are defined
  }
  e.node_id.assign(reinterpret_cast<const char*>(d.data()) + header + 2, length - header - 2);
  auto inner = d.subspan(length);
  Decoded decoded = decode(inner);
  if (!decoded.ok()) {
    return decoded;
  }
  if (type_of(decoded.message) == MsgType::encapsulated) {
    return failure(DecodeError::reserved_value);  // one level of encapsulation only
  }
  e.message.assign(reinterpret_cast<const char*>(inner.data()), inner.size());
  return Decoded{std::move(e), DecodeError::none};
}

}  // namespace

std::uint8_t flags_byte(const Flags& f) {
  auto qos = static_cast<std::uint8_t>(f.qos < 0 ? 3 : f.qos & 0x03);
  return static_cast<std::uint8_t>((f.dup ? 0x80 : 0) | (qos << 5) | (f.retain ? 0x10 : 0) |
                                   (f.will ? 0x08 : 0) | (f.clean_session ? 0x04 : 0) |
                                   (static_cast<std::uint8_t>(f.topic_id_type) & 0x03));
}

Decoded decode(std::span<const std::uint8_t> d) {
  if (d.size() < 2) {
    return failure(DecodeError::too_short);
  }
  std::size_t header = 1;
  std::size_t length = d[0];
  if (d[0] == 0x01) {  // 3-octet Length form [MQTT-SN 5.2.1]
    if (d.size() < 4) {
      return failure(DecodeError::too_short);
    }
    header = 3;
    length = static_cast<std::size_t>((d[1] << 8) | d[2]);
  }
  std::uint8_t type = d[header];
  if (type == static_cast<std::uint8_t>(MsgType::encapsulated)) {
    return decode_encapsulated(d, header, length);
  }
  if (length != d.size()) {
    return failure(DecodeError::length_mismatch);
  }
  if (!known_type(type)) {
    return failure(DecodeError::unknown_type);
  }
  Reader reader(d.subspan(header + 1));
  return read_body(static_cast<MsgType>(type), reader);
}

Decoded decode(std::string_view datagram) {
  return decode(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(datagram.data()), datagram.size()));
}

std::string_view to_string(DecodeError error) {
  static constexpr std::array<std::string_view, 8> names{
      "none",           "too short",    "length mismatch", "truncated",
      "trailing bytes", "unknown type", "reserved value",  "?"};
  auto i = static_cast<std::size_t>(error);
  return names[i < names.size() ? i : names.size() - 1];
}

}  // namespace ferry::sn
