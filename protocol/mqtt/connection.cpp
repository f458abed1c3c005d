// Inbound side of protocol::Connection: framing, CONNECT, PUBLISH, acks, keep alive.
#include "protocol/mqtt/connection.hpp"

#include "protocol/mqtt/codec.hpp"
#include "protocol/mqtt/topic.hpp"

namespace ferry::mqtt {

void Connection::start(Actions& out) {
  out.events.push_back(StartTimer{TimerKind::connect, limits_.connect_timeout_ms});
}

void Connection::on_bytes(std::span<const std::uint8_t> bytes, Actions& out) {
  if (phase_ == Phase::closing) {
    return;
  }
  if (!rx_.empty() || phase_ == Phase::awaiting_accept) {
    rx_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    parse_buffered(out);
    return;
  }
  std::size_t used = parse(bytes, out);
  if (phase_ != Phase::closing) {
    rx_.assign(reinterpret_cast<const char*>(bytes.data()) + used, bytes.size() - used);
  }
}

void Connection::parse_buffered(Actions& out) {
  std::size_t used = parse({reinterpret_cast<const std::uint8_t*>(rx_.data()), rx_.size()}, out);
  if (phase_ == Phase::closing) {
    rx_.clear();
  } else {
    rx_.erase(0, used);
  }
}

/// Handles every complete packet in `input`; returns the bytes used. Stops after CONNECT
/// until the broker answers: packets a client pipelines behind CONNECT wait for the
/// CONNACK [MQTT 3.1.4].
std::size_t Connection::parse(std::span<const std::uint8_t> input, Actions& out) {
  std::size_t used = 0;
  while (phase_ != Phase::closing && phase_ != Phase::awaiting_accept && used < input.size()) {
    Frame frame = scan_frame(input.subspan(used), limits_.max_packet_size);
    if (frame.status == Frame::Status::need_more) {
      break;
    }
    if (frame.status == Frame::Status::malformed) {
      protocol_violation(Reason::malformed_packet, out);
      break;
    }
    if (frame.status == Frame::Status::too_large) {
      protocol_violation(Reason::packet_too_large, out);  // [MQTT-3.2.2-15]
      break;
    }
    if (input.size() - used < frame.total_size()) {
      break;
    }
    auto body = input.subspan(used + frame.header_size, frame.remaining_length);
    used += frame.total_size();
    ++stats_.packets_in;
    activity_ = true;  // a whole packet, not a trickle of bytes [MQTT-3.1.2-22]
    handle_frame(frame.first_byte, body, frame.remaining_length, out);
  }
  return used;
}

void Connection::handle_frame(std::uint8_t first_byte, std::span<const std::uint8_t> body,
                              std::uint32_t remaining, Actions& out) {
  Frame frame;
  frame.status = Frame::Status::ok;
  frame.first_byte = first_byte;
  frame.remaining_length = remaining;
  auto type = static_cast<PacketType>(first_byte >> 4);
  if (phase_ == Phase::awaiting_connect && type != PacketType::connect) {
    close(Reason::protocol_error, out);  // [MQTT-3.1.0-1]: no CONNACK, just close
    return;
  }
  if (phase_ != Phase::awaiting_connect && type == PacketType::connect) {
    protocol_violation(Reason::protocol_error, out);  // second CONNECT [MQTT-3.1.0-2]
    return;
  }
  Decoded decoded = decode(frame, body, version_);
  if (type == PacketType::connect) {
    if (!decoded.ok()) {
      handle_connect_error(decoded.packet, decoded.reason, out);
      return;
    }
    handle_connect(std::get<Connect>(std::move(decoded.packet)), out);
    return;
  }
  if (!decoded.ok()) {
    protocol_violation(decoded.reason, out);
    return;
  }
  handle_packet(std::move(decoded.packet), out);
}

void Connection::handle_connect_error(const Packet& packet, Reason reason, Actions& out) {
  if (const auto* c = std::get_if<Connect>(&packet)) {
    version_ = c->version;
  }
  bool has_v3_code = reason == Reason::unsupported_protocol_version ||
                     reason == Reason::client_identifier_not_valid;
  if (version_ == Version::v5 || has_v3_code) {
    refuse(reason, out);
  } else {
    close(reason, out);  // 3.x has no return code for a malformed CONNECT
  }
}

void Connection::handle_connect(Connect&& connect, Actions& out) {
  version_ = connect.version;
  const Properties& p = connect.properties;
  if ((p.receive_maximum && *p.receive_maximum == 0) ||
      (p.maximum_packet_size && *p.maximum_packet_size == 0)) {
    refuse(Reason::protocol_error, out);  // [MQTT-3.1.2.11.3], [MQTT-3.1.2.11.4]
    return;
  }
  if (p.authentication_method) {
    refuse(Reason::bad_authentication_method, out);  // enhanced auth not offered
    return;
  }
  keep_alive_ = connect.keep_alive;
  if (version_ == Version::v5 && (keep_alive_ == 0 || keep_alive_ > limits_.max_keepalive)) {
    keep_alive_ = limits_.max_keepalive;  // announced as Server Keep Alive [MQTT-3.2.2-21]
  }
  std::uint16_t client_receive_max = p.receive_maximum.value_or(65535);
  send_quota_ = std::min<std::uint16_t>(client_receive_max, limits_.max_inflight);
  client_max_packet_size_ = p.maximum_packet_size.value_or(0);
  client_alias_maximum_ = p.topic_alias_maximum.value_or(0);
  connect_had_session_expiry_ = p.session_expiry_interval.has_value();
  connect_session_expiry_ = p.session_expiry_interval.value_or(0);
  phase_ = Phase::awaiting_accept;
  out.events.push_back(Deliver{std::move(connect)});
}

void Connection::handle_packet(Packet&& packet, Actions& out) {
  if (phase_ != Phase::connected) {
    protocol_violation(Reason::protocol_error, out);  // nothing before CONNACK is sent
    return;
  }
  switch (type_of(packet)) {
    case PacketType::publish:
      handle_publish(std::get<Publish>(std::move(packet)), out);
      return;
    case PacketType::puback:
      handle_ack(PacketType::puback, std::get<Puback>(packet), out);
      return;
    case PacketType::pubrec:
      handle_ack(PacketType::pubrec, std::get<Pubrec>(packet), out);
      return;
    case PacketType::pubcomp:
      handle_ack(PacketType::pubcomp, std::get<Pubcomp>(packet), out);
      return;
    case PacketType::pubrel:
      handle_pubrel(std::get<Pubrel>(packet), out);
      return;
    case PacketType::pingreq:
      encode_control(Pingresp{}, out);
      return;
    case PacketType::disconnect:
      handle_disconnect(std::get<Disconnect>(std::move(packet)), out);
      return;
    case PacketType::subscribe:
    case PacketType::unsubscribe:
    case PacketType::auth:
      out.events.push_back(Deliver{std::move(packet)});
      return;
    default:
      protocol_violation(Reason::protocol_error, out);  // server-to-client packet types
      return;
  }
}

void Connection::handle_publish(Publish&& publish, Actions& out) {
  if (!publish.properties.subscription_identifiers.empty()) {
    protocol_violation(Reason::protocol_error, out);  // [MQTT-3.3.4-6]
    return;
  }
  if (!resolve_topic_alias(publish, out)) {
    return;
  }
  if (publish.qos == 2 && state_ && state_->inbound_qos2.contains(publish.packet_id)) {
    encode_control(Pubrec{{publish.packet_id}}, out);  // duplicate: already accepted
    return;
  }
  if (publish.properties.payload_format_indicator.value_or(0) == 1 &&
      !valid_utf8(publish.payload_view())) {
    protocol_violation(Reason::payload_format_invalid, out);  // [MQTT-3.3.2-4]
    return;
  }
  if (publish.qos > 0) {
    std::size_t pending = inbound_unacked_ + (state_ ? state_->inbound_qos2.size() : 0);
    if (version_ == Version::v5 && pending >= limits_.receive_maximum) {
      protocol_violation(Reason::receive_maximum_exceeded, out);  // [MQTT-3.3.4-8]
      return;
    }
    ++inbound_unacked_;
  }
  publish.properties.topic_alias.reset();
  out.events.push_back(Deliver{std::move(publish)});
}

bool Connection::resolve_topic_alias(Publish& publish, Actions& out) {
  if (!publish.properties.topic_alias) {
    if (publish.topic.empty()) {
      protocol_violation(Reason::protocol_error, out);
      return false;
    }
    return true;
  }
  std::uint16_t alias = *publish.properties.topic_alias;
  if (alias == 0 || alias > limits_.topic_alias_maximum) {
    protocol_violation(Reason::topic_alias_invalid, out);  // [MQTT-3.3.2-8], [MQTT-3.3.2-9]
    return false;
  }
  if (!publish.topic.empty()) {
    inbound_aliases_[alias] = publish.topic;
    return true;
  }
  auto it = inbound_aliases_.find(alias);
  if (it == inbound_aliases_.end()) {
    protocol_violation(Reason::protocol_error, out);  // unknown alias with empty topic
    return false;
  }
  publish.topic = it->second;
  return true;
}

void Connection::handle_pubrel(const Pubrel& pubrel, Actions& out) {
  bool known = state_ && state_->inbound_qos2.erase(pubrel.packet_id) > 0;
  Pubcomp comp{{pubrel.packet_id}};
  if (!known) {
    comp.reason = Reason::packet_identifier_not_found;  // [MQTT-3.7.2.1]
  }
  encode_control(comp, out);
  if (known) {
    out.events.push_back(InboundReleased{pubrel.packet_id});
  }
}

void Connection::handle_disconnect(Disconnect&& disconnect, Actions& out) {
  auto expiry = disconnect.properties.session_expiry_interval;
  if (expiry && *expiry != 0 && connect_session_expiry_ == 0) {
    protocol_violation(Reason::protocol_error, out);  // [MQTT-3.14.2-2]
    return;
  }
  Reason reason = disconnect.reason;
  out.events.push_back(Deliver{std::move(disconnect)});
  phase_ = Phase::closing;
  out.events.push_back(Close{reason});
}

void Connection::on_timer(TimerKind kind, Actions& out) {
  if (phase_ == Phase::closing) {
    return;
  }
  if (kind == TimerKind::connect) {
    if (phase_ == Phase::awaiting_connect) {
      close(Reason::maximum_connect_time, out);
    }
    return;
  }
  if (activity_) {
    activity_ = false;
    idle_ticks_ = 0;
  } else if (++idle_ticks_ >= keep_alive_ticks) {
    protocol_violation(Reason::keep_alive_timeout, out);  // [MQTT-3.1.2-22]
    return;
  }
  out.events.push_back(StartTimer{TimerKind::keep_alive, keep_alive_ * 1500u / keep_alive_ticks});
}

void Connection::protocol_violation(Reason reason, Actions& out) {
  if (phase_ == Phase::connected && version_ == Version::v5) {
    disconnect(reason, out);
    return;
  }
  close(reason, out);
}

void Connection::close(Reason reason, Actions& out) {
  if (phase_ == Phase::closing) {
    return;
  }
  phase_ = Phase::closing;
  out.events.push_back(Close{reason});
}

void Connection::disconnect(Reason reason, Actions& out) {
  if (phase_ == Phase::closing) {
    return;
  }
  if (phase_ == Phase::connected && version_ == Version::v5) {
    encode_control(Disconnect{reason, {}}, out);
  }
  close(reason, out);
}

SessionState* Connection::detach() {
  SessionState* state = state_;
  state_ = nullptr;
  return state;
}

}  // namespace ferry::mqtt
