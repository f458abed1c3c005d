// MQTT-SN 1.2 encoder: the body first, then the shortest Length form that fits.
#include <array>
#include <type_traits>

#include "protocol/sn/codec.hpp"

namespace ferry::sn {
namespace {

class Writer {
 public:
  void u8(std::uint8_t v) { body.push_back(static_cast<char>(v)); }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v & 0xFF));
  }
  void bytes(std::string_view v) { body.append(v); }
  void flags(const Flags& f) { u8(flags_byte(f)); }
  void rc(ReturnCode c) { u8(static_cast<std::uint8_t>(c)); }
  std::string body;
};

template <class T>
void write_will_topic(const T& t, Writer& w) {
  if (!t.topic.empty()) {  // empty: the two-octet form [MQTT-SN 5.4.7]
    w.flags(t.flags);
    w.bytes(t.topic);
  }
}

template <class T>
void write_subscription(const T& s, Writer& w) {
  w.flags(s.flags);
  w.u16(s.msg_id);
  if (s.flags.topic_id_type == TopicIdType::normal) {
    w.bytes(s.topic_name);
  } else {
    w.u16(s.topic_id);
  }
}

struct BodyWriter {
  Writer& w;
  void operator()(const Advertise& m) const {
    w.u8(m.gw_id);
    w.u16(m.duration);
  }
  void operator()(const Searchgw& m) const { w.u8(m.radius); }
  void operator()(const Gwinfo& m) const {
    w.u8(m.gw_id);
    w.bytes(m.gw_address);
  }
  void operator()(const Connect& m) const {
    w.flags(m.flags);
    w.u8(0x01);  // ProtocolId [MQTT-SN 5.3.8]
    w.u16(m.duration);
    w.bytes(m.client_id);
  }
  void operator()(const Connack& m) const { w.rc(m.return_code); }
  void operator()(const Willtopicreq&) const {}
  void operator()(const Willtopic& m) const { write_will_topic(m, w); }
  void operator()(const Willmsgreq&) const {}
  void operator()(const Willmsg& m) const { w.bytes(m.message); }
  void operator()(const Register& m) const {
    w.u16(m.topic_id);
    w.u16(m.msg_id);
    w.bytes(m.topic_name);
  }
  void operator()(const Regack& m) const {
    w.u16(m.topic_id);
    w.u16(m.msg_id);
    w.rc(m.return_code);
  }
  void operator()(const Publish& m) const {
    w.flags(m.flags);
    w.u16(m.topic_id);
    w.u16(m.msg_id);
    w.bytes(m.data);
  }
  void operator()(const Puback& m) const {
    w.u16(m.topic_id);
    w.u16(m.msg_id);
    w.rc(m.return_code);
  }
  void operator()(const Pubcomp& m) const { w.u16(m.msg_id); }
  void operator()(const Pubrec& m) const { w.u16(m.msg_id); }
  void operator()(const Pubrel& m) const { w.u16(m.msg_id); }
  void operator()(const Subscribe& m) const { write_subscription(m, w); }
  void operator()(const Suback& m) const {
    w.flags(m.flags);
    w.u16(m.topic_id);
    w.u16(m.msg_id);
    w.rc(m.return_code);
  }
  void operator()(const Unsubscribe& m) const { write_subscription(m, w); }
  void operator()(const Unsuback& m) const { w.u16(m.msg_id); }
  void operator()(const Pingreq& m) const { w.bytes(m.client_id); }
  void operator()(const Pingresp&) const {}
  void operator()(const Disconnect& m) const {
    if (m.duration) {
      w.u16(*m.duration);
    }
  }
  void operator()(const Willtopicupd& m) const { write_will_topic(m, w); }
  void operator()(const Willtopicresp& m) const { w.rc(m.return_code); }
  void operator()(const Willmsgupd& m) const { w.bytes(m.message); }
  void operator()(const Willmsgresp& m) const { w.rc(m.return_code); }
  void operator()(const Encapsulated&) const {}  // written by encapsulate()
};

/// Length + MsgType + body [MQTT-SN 5.2.1]: 1-octet Length up to 255 octets in all.
bool frame(MsgType type, std::string_view body, std::string& out) {
  std::size_t total = body.size() + 2;
  if (total <= 255) {
    out.push_back(static_cast<char>(total));
  } else if (total + 2 <= 65535) {
    total += 2;
    out.push_back(0x01);
    out.push_back(static_cast<char>(total >> 8));
    out.push_back(static_cast<char>(total & 0xFF));
  } else {
    return false;
  }
  out.push_back(static_cast<char>(type));
  out.append(body);
  return true;
}

constexpr std::array<MsgType, std::variant_size_v<Message>> message_types{
    MsgType::advertise,     MsgType::searchgw,     MsgType::gwinfo,      MsgType::connect,
    MsgType::connack,       MsgType::willtopicreq, MsgType::willtopic,   MsgType::willmsgreq,
    MsgType::willmsg,       MsgType::register_,    MsgType::regack,      MsgType::publish,
    MsgType::puback,        MsgType::pubcomp,      MsgType::pubrec,      MsgType::pubrel,
    MsgType::subscribe,     MsgType::suback,       MsgType::unsubscribe, MsgType::unsuback,
    MsgType::pingreq,       MsgType::pingresp,     MsgType::disconnect,  MsgType::willtopicupd,
    MsgType::willtopicresp, MsgType::willmsgupd,   MsgType::willmsgresp, MsgType::encapsulated,
};

}  // namespace

MsgType type_of(const Message& message) {
  return message_types[message.index()];
}

bool encode(const Message& message, std::string& out) {
  if (const auto* e = std::get_if<Encapsulated>(&message)) {
    return encapsulate(e->ctrl, e->node_id, e->message, out);
  }
  Writer w;
  std::visit(BodyWriter{w}, message);
  return frame(type_of(message), w.body, out);
}

std::string encode(const Message& message) {
  std::string out;
  encode(message, out);
  return out;
}

bool encapsulate(std::uint8_t ctrl, std::string_view node_id, std::string_view message,
                 std::string& out) {
  std::size_t header = 3 + node_id.size();  // [MQTT-SN 5.5]: Length, MsgType, Ctrl, Node Id
  if (header > 255 || header + message.size() > 65535) {
    return false;
  }
  out.push_back(static_cast<char>(header));
  out.push_back(static_cast<char>(MsgType::encapsulated));
  out.push_back(static_cast<char>(ctrl));
  out.append(node_id);
  out.append(message);
  return true;
}

}  // namespace ferry::sn
