#include "protocol/mqtt/client_session.hpp"

#include <algorithm>

#include "protocol/mqtt/codec.hpp"

namespace ferry::mqtt {

ClientSession::ClientSession(ClientOptions options) : options_(std::move(options)) {}

void ClientSession::connect(ClientActions& out) {
  Connect connect;
  connect.version = options_.version;
  connect.clean_start = options_.clean_start && (first_connect_ || !options_.resume);
  connect.keep_alive = options_.keep_alive;
  connect.client_id = options_.client_id;
  connect.will = options_.will;
  connect.username = options_.username;
  connect.password = options_.password;
  if (options_.version == Version::v5 && options_.session_expiry != 0) {
    connect.properties.session_expiry_interval = options_.session_expiry;
  }
  buffer_.clear();
  phase_ = Phase::connecting;
  connecting_ticks_ = 0;
  ping_outstanding_ = false;
  write(connect, out);
}

void ClientSession::on_bytes(std::span<const std::uint8_t> bytes, ClientActions& out) {
  heard_since_tick_ = true;
  buffer_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::size_t pos = 0;
  while (phase_ != Phase::offline) {
    auto rest = std::span(reinterpret_cast<const std::uint8_t*>(buffer_.data()) + pos,
                          buffer_.size() - pos);
    Frame frame = scan_frame(rest, 0);
    if (frame.status == Frame::Status::need_more) {
      break;
    }
    if (frame.status != Frame::Status::ok || rest.size() < frame.total_size()) {
      if (frame.status != Frame::Status::ok) {
        fail(Reason::malformed_packet, "malformed packet from the server", out);
      }
      break;
    }
    Decoded decoded =
        decode(frame, rest.subspan(frame.header_size, frame.remaining_length), options_.version);
    pos += frame.total_size();
    if (!decoded.ok()) {
      fail(decoded.reason, "undecodable packet from the server", out);
      break;
    }
    handle(std::move(decoded.packet), out);
  }
  buffer_.erase(0, pos);
}

void ClientSession::handle(Packet&& packet, ClientActions& out) {
  if (auto* connack = std::get_if<Connack>(&packet)) {
    on_connack(*connack, out);
    return;
  }
  if (phase_ != Phase::connected) {
    fail(Reason::protocol_error, "packet before CONNACK", out);
    return;
  }
  switch (type_of(packet)) {
    case PacketType::publish:
      on_publish(std::move(std::get<Publish>(packet)), out);
      return;
    case PacketType::puback:
      return on_ack(1, std::get<Puback>(packet), out);
    case PacketType::pubrec:
      return on_ack(2, std::get<Pubrec>(packet), out);
    case PacketType::pubcomp:
      return on_ack(3, std::get<Pubcomp>(packet), out);
    case PacketType::pubrel: {
      std::uint16_t id = std::get<Pubrel>(packet).packet_id;
      inbound_qos2_.erase(id);
      write(Pubcomp{{id, Reason::success, {}}}, out);
      return;
    }
    case PacketType::suback:
      return on_request_ack(std::get<Suback>(packet).packet_id, std::move(packet), out);
    case PacketType::unsuback:
      return on_request_ack(std::get<Unsuback>(packet).packet_id, std::move(packet), out);
    case PacketType::pingresp:
      ping_outstanding_ = false;
      return;
    case PacketType::disconnect:
      return fail(std::get<Disconnect>(packet).reason, "DISCONNECT from the server", out);
    default:
      return fail(Reason::protocol_error, "unexpected packet from the server", out);
  }
}

void ClientSession::on_connack(const Connack& connack, ClientActions& out) {
  if (phase_ != Phase::connecting) {
    fail(Reason::protocol_error, "CONNACK twice", out);
    return;
  }
  if (connack.reason != Reason::success) {
    fail(connack.reason, "CONNACK refused", out);
    return;
  }
  phase_ = Phase::connected;
  first_connect_ = false;
  const Properties& p = connack.properties;
  receive_maximum_ = p.receive_maximum.value_or(65535);
  maximum_qos_ = p.maximum_qos.value_or(2);
  retain_available_ = p.retain_available.value_or(1) != 0;
  maximum_packet_size_ = p.maximum_packet_size.value_or(0);
  if (p.server_keep_alive) {
    options_.keep_alive = *p.server_keep_alive;  // [MQTT-3.2.2-21]
  }
  if (!connack.session_present) {
    inbound_qos2_.clear();  // a new session: the server forgot them too
    unacknowledged_.clear();
  }
  out.events.emplace_back(Connected{connack.session_present});
  resend(out);
  fill_window(out);
}

void ClientSession::on_publish(Publish&& publish, ClientActions& out) {
  std::uint16_t id = publish.packet_id;
  if (publish.qos == 2 && inbound_qos2_.contains(id)) {
    write(Pubrec{{id, Reason::success, {}}}, out);  // a resend of one already taken
    return;
  }
  if (publish.qos > 0 && options_.manual_acks) {
    if (!unacknowledged_.insert(id).second) {
      return;  // a resend while the owner still holds the first: its ack answers both
    }
  } else if (publish.qos > 0) {
    acknowledge(id, publish.qos, out);
  }
  out.events.emplace_back(Received{std::move(publish)});
}

void ClientSession::acknowledge(std::uint16_t packet_id, std::uint8_t qos, ClientActions& out) {
  unacknowledged_.erase(packet_id);
  if (qos == 2) {
    inbound_qos2_.insert(packet_id);  // until PUBREL [MQTT-4.3.3-8]
  }
  if (phase_ != Phase::connected) {
    return;  // the server resends after the reconnect; QoS 2 is answered from the set
  }
  if (qos == 1) {
    write(Puback{{packet_id, Reason::success, {}}}, out);
  } else {
    write(Pubrec{{packet_id, Reason::success, {}}}, out);
  }
}

void ClientSession::on_ack(std::uint8_t kind, const Ack& ack, ClientActions& out) {
  auto it = std::find_if(inflight_.begin(), inflight_.end(),
                         [&](const Outbound& o) { return o.publish.packet_id == ack.packet_id; });
  if (it == inflight_.end()) {
    return;  // an ack for something already completed (a resend's second answer)
  }
  bool error = static_cast<std::uint8_t>(ack.reason) >= 0x80;
  if (kind == 2 && !error) {
    if (!it->released) {
      it->released = true;
      out.events.emplace_back(Acked{it->tag, true});
    }
    write(Pubrel{{ack.packet_id, Reason::success, {}}}, out);
    return;
  }
  if (kind != 3 || !it->released) {
    // PUBACK, an error PUBREC, or a PUBCOMP without PUBREC first (a server out of step):
    // the message is done with either way, and its owner must hear of it once.
    out.events.emplace_back(Acked{it->tag, !error});
  }
  inflight_.erase(it);
  fill_window(out);
}

void ClientSession::on_request_ack(std::uint16_t packet_id, Packet&& packet, ClientActions& out) {
  auto it = std::find_if(requests_.begin(), requests_.end(),
                         [&](const Request& r) { return r.packet_id == packet_id; });
  if (it == requests_.end()) {
    return;
  }
  if (it->subscribe) {
    out.events.emplace_back(Subscribed{it->tag, std::move(std::get<Suback>(packet))});
  } else {
    out.events.emplace_back(Unsubscribed{it->tag});
  }
  requests_.erase(it);
}

void ClientSession::fail(Reason reason, std::string what, ClientActions& out) {
  out.events.emplace_back(Failed{reason, std::move(what)});
  lost();
}

void ClientSession::lost() {
  phase_ = Phase::offline;
  buffer_.clear();
  requests_.clear();  // answered only on the link they were sent on
}

void ClientSession::tick(ClientActions& out) {
  if (phase_ == Phase::offline) {
    return;
  }
  if (phase_ == Phase::connecting) {
    if (++connecting_ticks_ >= 2) {
      fail(Reason::keep_alive_timeout, "no CONNACK from the server", out);
    }
    return;
  }
  if (options_.keep_alive == 0) {
    return;  // no keep alive agreed: no PINGREQ
  }
  if (ping_outstanding_ && !heard_since_tick_) {
    fail(Reason::keep_alive_timeout, "no PINGRESP from the server", out);
    return;
  }
  heard_since_tick_ = false;
  if (phase_ == Phase::connected) {
    ping_outstanding_ = true;
    write(Pingreq{}, out);
  }
}

void ClientSession::disconnect(ClientActions& out) {
  if (phase_ == Phase::connected) {
    write(Disconnect{}, out);
  }
  lost();
}

bool ClientSession::publish(Publish publish, std::uint64_t tag, ClientActions& out) {
  if (publish.qos == 0) {
    if (phase_ != Phase::connected) {
      return false;
    }
    publish.packet_id = 0;
    write(publish, out);
    return true;
  }
  if (buffered() >= options_.max_buffered) {
    return false;
  }
  publish.dup = false;
  waiting_.push_back(Outbound{std::move(publish), tag, false});
  fill_window(out);
  return true;
}

bool ClientSession::subscribe(std::vector<SubscribeTopic> topics, std::uint64_t tag,
                              ClientActions& out, std::uint32_t subscription_id) {
  if (phase_ != Phase::connected) {
    return false;
  }
  Subscribe subscribe{next_packet_id(), std::move(topics), {}};
  if (subscription_id != 0 && options_.version == Version::v5) {
    subscribe.properties.subscription_identifiers.push_back(subscription_id);
  }
  requests_.push_back({subscribe.packet_id, tag, true});
  write(subscribe, out);
  return true;
}

bool ClientSession::unsubscribe(std::vector<std::string> filters, std::uint64_t tag,
                                ClientActions& out) {
  if (phase_ != Phase::connected) {
    return false;
  }
  Unsubscribe unsubscribe{next_packet_id(), std::move(filters), {}};
  requests_.push_back({unsubscribe.packet_id, tag, false});
  write(unsubscribe, out);
  return true;
}

void ClientSession::resend(ClientActions& out) {
  for (Outbound& o : inflight_) {
    if (o.released) {
      write(Pubrel{{o.publish.packet_id, Reason::success, {}}}, out);
    } else {
      o.publish.dup = true;  // [MQTT-4.4.0-1]
      write(o.publish, out);
    }
  }
}

void ClientSession::fill_window(ClientActions& out) {
  while (phase_ == Phase::connected && !waiting_.empty() && inflight_.size() < receive_maximum_) {
    Outbound o = std::move(waiting_.front());
    waiting_.pop_front();
    if (!fit(o.publish)) {
      out.events.emplace_back(Acked{o.tag, false});  // larger than the server takes
      continue;
    }
    if (o.publish.qos == 0) {  // the server's Maximum QoS is 0
      write(o.publish, out);
      out.events.emplace_back(Acked{o.tag, true});
      continue;
    }
    o.publish.packet_id = next_packet_id();
    write(o.publish, out);
    inflight_.push_back(std::move(o));
  }
}

bool ClientSession::fit(Publish& publish) const {
  // What the server said it takes [MQTT-3.2.2-11, -14, 3.1.2-24].
  publish.qos = std::min(publish.qos, maximum_qos_);
  publish.retain = publish.retain && retain_available_;
  publish.packet_id = publish.qos > 0 ? 1 : 0;  // for the size only
  return maximum_packet_size_ == 0 ||
         encoded_size(publish, options_.version) <= maximum_packet_size_;
}

std::uint16_t ClientSession::next_packet_id() {
  auto in_use = [&](std::uint16_t id) {
    return std::any_of(inflight_.begin(), inflight_.end(),
                       [&](const Outbound& o) { return o.publish.packet_id == id; }) ||
           std::any_of(requests_.begin(), requests_.end(),
                       [&](const Request& r) { return r.packet_id == id; });
  };
  do {
    last_id_ = static_cast<std::uint16_t>(last_id_ == 65535 ? 1 : last_id_ + 1);
  } while (in_use(last_id_));
  return last_id_;
}

void ClientSession::write(const Packet& packet, ClientActions& out) {
  encode(packet, options_.version, out.bytes);
}

}  // namespace ferry::mqtt
