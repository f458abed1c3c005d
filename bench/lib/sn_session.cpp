#include "bench/lib/sn_session.hpp"

#include "protocol/sn/codec.hpp"

namespace ferry::bench {

namespace {

constexpr std::uint16_t handshake_msg_id = 1;

std::uint16_t be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}

std::string code_text(sn::ReturnCode code) {
  return std::to_string(static_cast<int>(code));
}

}  // namespace

std::optional<SnPublishView> view_sn_publish(std::span<const std::uint8_t> d) {
  if (d.size() < 2) {
    return std::nullopt;
  }
  std::size_t header = 1;
  std::size_t length = d[0];
  if (d[0] == 0x01) {  // 3-octet Length [MQTT-SN 5.2.1]
    if (d.size() < 4) {
      return std::nullopt;
    }
    header = 3;
    length = be16(d.data() + 1);
  }
  // MsgType, Flags, TopicId (2), MsgId (2) after the Length.
  if (length != d.size() || d.size() < header + 6 ||
      d[header] != static_cast<std::uint8_t>(sn::MsgType::publish)) {
    return std::nullopt;
  }
  const std::uint8_t flags = d[header + 1];
  SnPublishView v;
  v.dup = (flags & 0x80) != 0;
  const int qos_bits = (flags >> 5) & 3;
  v.qos = static_cast<std::int8_t>(qos_bits == 3 ? -1 : qos_bits);
  v.retain = (flags & 0x10) != 0;
  if ((flags & 3) == 3) {
    return std::nullopt;  // reserved TopicIdType
  }
  v.topic_id_type = static_cast<sn::TopicIdType>(flags & 3);
  v.topic_id = be16(d.data() + header + 2);
  v.msg_id = be16(d.data() + header + 4);
  v.data = {reinterpret_cast<const char*>(d.data()) + header + 6, d.size() - header - 6};
  return v;
}

SnPublishTemplate::SnPublishTemplate(std::uint16_t topic_id, sn::TopicIdType type,
                                     std::size_t payload) {
  sn::Publish p;
  p.flags.topic_id_type = type;
  p.topic_id = topic_id;
  p.data.assign(payload, 'x');
  datagram_ = sn::encode(p);
  data_offset_ = datagram_.size() - payload;  // the data ends the message
}

std::string SnSession::start() {
  phase_ = Phase::connecting;
  retries_ = 0;
  return request();
}

std::string SnSession::request() const {
  if (phase_ == Phase::connecting) {
    sn::Connect c;
    c.flags.clean_session = true;
    c.duration = config_.keep_alive;
    c.client_id = config_.client_id;
    return sn::encode(c);
  }
  if (phase_ != Phase::joining) {
    return {};
  }
  if (config_.role == SnRole::publisher) {
    return sn::encode(sn::Register{0, handshake_msg_id, config_.topic});
  }
  sn::Subscribe s;
  s.flags.qos = static_cast<std::int8_t>(config_.qos);
  s.flags.topic_id_type = sn::TopicIdType::normal;
  s.msg_id = handshake_msg_id;
  s.topic_name = config_.topic;
  return sn::encode(s);
}

std::string SnSession::on_message(const sn::Message& message) {
  if (const auto* connack = std::get_if<sn::Connack>(&message)) {
    return on_connack(*connack);
  }
  if (const auto* suback = std::get_if<sn::Suback>(&message)) {
    if (config_.role == SnRole::subscriber) {
      on_joined(suback->msg_id, suback->topic_id, suback->return_code, "SUBACK");
    }
    return {};
  }
  if (const auto* regack = std::get_if<sn::Regack>(&message)) {
    if (config_.role == SnRole::publisher) {
      on_joined(regack->msg_id, regack->topic_id, regack->return_code, "REGACK");
    }
    return {};
  }
  if (const auto* reg = std::get_if<sn::Register>(&message)) {
    // The gateway names a topic before publishing on it [MQTT-SN 6.10]: accept it.
    return sn::encode(sn::Regack{reg->topic_id, reg->msg_id, sn::ReturnCode::accepted});
  }
  if (std::holds_alternative<sn::Disconnect>(message) && phase_ != Phase::failed) {
    fail("gateway sent DISCONNECT");
  }
  return {};
}

std::string SnSession::on_connack(const sn::Connack& ack) {
  if (phase_ != Phase::connecting) {
    return {};  // the answer to a resent CONNECT
  }
  if (ack.return_code != sn::ReturnCode::accepted) {
    fail("CONNACK refused, return code " + code_text(ack.return_code));
    return {};
  }
  phase_ = Phase::joining;
  retries_ = 0;
  return request();
}

void SnSession::on_joined(std::uint16_t msg_id, std::uint16_t topic_id, sn::ReturnCode code,
                          const char* what) {
  if (phase_ != Phase::joining || msg_id != handshake_msg_id) {
    return;
  }
  if (code != sn::ReturnCode::accepted) {
    fail(std::string(what) + " refused, return code " + code_text(code));
    return;
  }
  topic_id_ = topic_id;
  phase_ = Phase::ready;
}

std::string SnSession::on_timeout() {
  if (phase_ != Phase::connecting && phase_ != Phase::joining) {
    return {};
  }
  if (retries_ >= config_.max_retries) {
    fail(std::string("no ") +
         (phase_ == Phase::connecting         ? "CONNACK"
          : config_.role == SnRole::publisher ? "REGACK"
                                              : "SUBACK") +
         " after " + std::to_string(retries_ + 1) + " tries");
    return {};
  }
  ++retries_;
  ++total_retries_;
  return request();
}

std::string SnSession::ack(const SnPublishView& p) const {
  if (p.qos != 1) {
    return {};
  }
  return sn::encode(sn::Puback{p.topic_id, p.msg_id, sn::ReturnCode::accepted});
}

void SnSession::fail(std::string why) {
  phase_ = Phase::failed;
  error_ = std::move(why);
}

std::optional<double> bytes_per_client(std::optional<std::uint64_t> before,
                                       std::optional<std::uint64_t> after, std::uint64_t clients) {
  if (!before || !after || clients == 0) {
    return std::nullopt;
  }
  return (static_cast<double>(*after) - static_cast<double>(*before)) /
         static_cast<double>(clients);
}

}  // namespace ferry::bench
