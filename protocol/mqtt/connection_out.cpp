// Outbound side of protocol::Connection: CONNACK, control packets, and application
// messages with the client's Receive Maximum, Maximum Packet Size and Topic Alias Maximum.
#include <algorithm>

#include "protocol/mqtt/codec.hpp"
#include "protocol/mqtt/connection.hpp"

namespace ferry::mqtt {
namespace {

std::string& scratch() {
  thread_local std::string buffer;
  buffer.clear();
  return buffer;
}

bool carries_properties(const Outgoing& item, std::uint16_t alias) {
  return alias != 0 || !item.subscription_ids.empty() || item.message->expires_at ||
         item.message->properties != Properties{};
}

/// PUBLISH head without properties (3.x, or v5 with an empty property list): the common
/// case, written without building a Publish.
void plain_publish_head(const Outgoing& item, bool dup, bool v5, std::string& out) {
  const Message& m = *item.message;
  std::uint32_t remaining = 2 + static_cast<std::uint32_t>(m.topic.size()) +
                            (item.qos > 0 ? 2 : 0) + (v5 ? 1 : 0) +
                            static_cast<std::uint32_t>(m.payload_size());
  out.push_back(
      static_cast<char>(0x30 | (dup ? 0x08 : 0) | (item.qos << 1) | (item.retain ? 1 : 0)));
  put_varint(remaining, out);
  out.push_back(static_cast<char>(m.topic.size() >> 8));
  out.push_back(static_cast<char>(m.topic.size() & 0xFF));
  out.append(m.topic);
  if (item.qos > 0) {
    out.push_back(static_cast<char>(item.packet_id >> 8));
    out.push_back(static_cast<char>(item.packet_id & 0xFF));
  }
  if (v5) {
    out.push_back(0);
  }
}

}  // namespace

void Connection::accept(SessionState& state, bool session_present, Properties properties,
                        Clock::time_point now, Actions& out) {
  if (phase_ != Phase::awaiting_accept) {
    return;  // closed meanwhile, or answered already
  }
  state_ = &state;
  now_ = now;
  phase_ = Phase::connected;
  Connack ack{session_present, Reason::success, std::move(properties)};
  if (version_ == Version::v5) {
    Properties limits = connack_limits();
    ack.properties.receive_maximum = limits.receive_maximum;
    ack.properties.maximum_packet_size = limits.maximum_packet_size;
    ack.properties.topic_alias_maximum = limits.topic_alias_maximum;
    ack.properties.server_keep_alive = limits.server_keep_alive;
  }
  encode_control(ack, out);
  if (keep_alive_ > 0) {
    out.events.push_back(StartTimer{TimerKind::keep_alive, keep_alive_ * 1500u / keep_alive_ticks});
  }
  resend_inflight(now, out);
  fill_window(now, out);
  if (!rx_.empty()) {
    parse_buffered(out);  // packets the client sent right behind CONNECT
  }
}

Properties Connection::connack_limits() const {
  Properties p;
  if (limits_.receive_maximum < 65535) {
    p.receive_maximum = limits_.receive_maximum;
  }
  if (limits_.max_packet_size < 268435460) {
    p.maximum_packet_size = limits_.max_packet_size;
  }
  if (limits_.topic_alias_maximum > 0) {
    p.topic_alias_maximum = limits_.topic_alias_maximum;
  }
  if (version_ == Version::v5 && keep_alive_ != 0) {
    p.server_keep_alive = keep_alive_;  // always stated; equal to the client's when not lowered
  }
  return p;
}

void Connection::refuse(Reason reason, Actions& out) {
  if (phase_ == Phase::closing) {
    return;
  }
  encode_control(Connack{false, reason, {}}, out);
  close(reason, out);
}

void Connection::send(const Packet& packet, Actions& out) {
  if (phase_ == Phase::closing) {
    return;
  }
  if (std::holds_alternative<Puback>(packet)) {
    inbound_unacked_ -= inbound_unacked_ > 0 ? 1 : 0;
  } else if (const auto* rec = std::get_if<Pubrec>(&packet)) {
    inbound_unacked_ -= inbound_unacked_ > 0 ? 1 : 0;
    if (state_ && !is_error(rec->reason)) {
      state_->inbound_qos2.insert(rec->packet_id);  // until PUBREL [MQTT-4.3.3-8]
    }
  }
  encode_control(packet, out);
}

void Connection::encode_control(const Packet& packet, Actions& out) {
  std::string& buffer = scratch();
  encode(packet, version_, buffer);
  out.bytes.append(buffer);
  ++stats_.packets_out;
}

Offer Connection::publish(Outgoing item, Clock::time_point now, Actions& out) {
  now_ = now;
  if (item.message->expired(now)) {
    return Offer::dropped_expired;
  }
  if (item.qos == 0 || !state_) {
    item.qos = 0;
    return transmit(item, now, false, out);
  }
  if (state_->queue.empty() && window_open()) {
    item.packet_id = state_->next_packet_id();
    Offer offer = transmit(item, now, false, out);
    if (offer == Offer::sent) {
      changed(OutboundChanged::Kind::sent, item, out);
      state_->inflight.push_back(std::move(item));
    }
    return offer;
  }
  if (!state_->queue_bounded(std::move(item), limits_.max_queued_messages,
                             limits_.max_queued_bytes)) {
    return Offer::dropped_queue_full;
  }
  return Offer::queued;
}

bool Connection::window_open() const {
  return state_->inflight.size() < send_quota_ && state_->inflight.size() < 65535;
}

void Connection::fill_window(Clock::time_point now, Actions& out) {
  while (state_ && !state_->queue.empty() && window_open()) {
    Outgoing item = state_->pop_queued();
    if (item.message->expired(now)) {
      changed(OutboundChanged::Kind::completed, item, out);
      continue;
    }
    bool resend = item.packet_id != 0;  // sent on an earlier connection: same id, DUP
    if (item.qos > 0 && !resend) {
      item.packet_id = state_->next_packet_id();
    }
    if (item.released) {
      encode_control(Pubrel{{item.packet_id}}, out);
      state_->inflight.push_back(std::move(item));
      continue;
    }
    if (transmit(item, now, resend, out) != Offer::sent) {
      changed(OutboundChanged::Kind::completed, item, out);
    } else if (item.qos > 0) {
      changed(OutboundChanged::Kind::sent, item, out);
      state_->inflight.push_back(std::move(item));
    } else {
      changed(OutboundChanged::Kind::completed, item, out);
    }
  }
}

/// Resends what was in flight when the last connection ended [MQTT-4.4.0-1], within the
/// new connection's send quota [MQTT-4.9.0-2]; the rest waits at the head of the queue
/// with its packet id. A message now too large for the client is dropped [MQTT-3.1.2-25].
void Connection::resend_inflight(Clock::time_point now, Actions& out) {
  OutgoingList previous;
  previous.swap(state_->inflight);
  std::list<Outgoing> waiting;
  for (Outgoing& item : previous) {
    if (state_->inflight.size() >= send_quota_) {
      waiting.push_back(std::move(item));
      continue;
    }
    if (item.released) {
      encode_control(Pubrel{{item.packet_id}}, out);
    } else if (transmit(item, now, true, out) != Offer::sent) {
      changed(OutboundChanged::Kind::completed, item, out);
      continue;
    }
    state_->inflight.push_back(std::move(item));
  }
  for (auto it = waiting.rbegin(); it != waiting.rend(); ++it) {
    state_->queued_bytes += it->message->payload_size();
    state_->queue.push_front(std::move(*it));
  }
}

Offer Connection::transmit(Outgoing& item, Clock::time_point now, bool dup, Actions& out) {
  bool alias_known = false;
  std::uint16_t alias = outbound_alias(item.message->topic, alias_known);
  std::string& head = scratch();
  bool v5 = version_ == Version::v5;
  if (!v5 || !carries_properties(item, alias)) {
    plain_publish_head(item, dup, v5, head);
  } else {
    Publish p{item.qos,
              item.retain,
              dup,
              alias_known ? std::string() : item.message->topic,
              item.packet_id,
              item.message->properties,
              item.message->payload};
    p.properties.message_expiry_interval = item.message->remaining_expiry(now);
    p.properties.subscription_identifiers = item.subscription_ids;
    if (alias != 0) {
      p.properties.topic_alias = alias;
    }
    encode_publish_head(p, version_, head);
  }
  std::size_t size = head.size() + item.message->payload_size();
  if (client_max_packet_size_ != 0 && size > client_max_packet_size_) {
    if (alias != 0 && !alias_known) {
      outbound_aliases_.erase(item.message->topic);
    }
    return Offer::dropped_too_large;  // [MQTT-3.1.2-25]
  }
  out.bytes.append(head);
  out.bytes.append_shared(item.message->payload);
  ++stats_.packets_out;
  return Offer::sent;
}

std::uint16_t Connection::outbound_alias(const std::string& topic, bool& known) {
  if (client_alias_maximum_ == 0) {
    return 0;
  }
  auto it = outbound_aliases_.find(topic);
  if (it != outbound_aliases_.end()) {
    known = true;
    return it->second;
  }
  if (outbound_aliases_.size() >= client_alias_maximum_) {
    return 0;  // first come, first aliased; later topics go by name
  }
  auto alias = static_cast<std::uint16_t>(outbound_aliases_.size() + 1);
  outbound_aliases_.emplace(topic, alias);
  return alias;
}

void Connection::handle_ack(PacketType type, const Ack& ack, Actions& out) {
  if (!state_) {
    return;
  }
  auto& inflight = state_->inflight;
  auto it = std::find_if(inflight.begin(), inflight.end(),
                         [&](const Outgoing& o) { return o.packet_id == ack.packet_id; });
  if (type == PacketType::pubrec) {
    if (it == inflight.end() || it->qos != 2) {
      encode_control(Pubrel{{ack.packet_id, Reason::packet_identifier_not_found}}, out);
      return;
    }
    if (!is_error(ack.reason)) {
      it->released = true;
      encode_control(Pubrel{{ack.packet_id}}, out);
      changed(OutboundChanged::Kind::released, *it, out);
      return;
    }
  } else if (it == inflight.end() || (type == PacketType::puback) != (it->qos == 1)) {
    return;  // unknown or mismatched id: nothing to release
  }
  changed(OutboundChanged::Kind::completed, *it, out);
  inflight.erase(it);
  fill_window(now_, out);
}

void Connection::changed(OutboundChanged::Kind kind, const Outgoing& item, Actions& out) {
  if (item.message->store_id != 0) {
    out.events.push_back(OutboundChanged{kind, item});
  }
}

}  // namespace ferry::mqtt
