// sn::GatewaySession, gateway to client [MQTT-SN 6.10]: messages from the broker go out
// one at a time (a REGISTER first when the client has no id for the topic), with
// retransmission after Tretry and give-up after Nretry [MQTT-SN 6.13].
#include "protocol/sn/codec.hpp"
#include "protocol/sn/gateway_session.hpp"

namespace ferry::sn {
namespace {

/// Worst-case PUBLISH overhead: 3-octet Length, MsgType, Flags, TopicId, MsgId.
constexpr std::size_t publish_overhead = 9;

}  // namespace

mqtt::Offer GatewaySession::publish(mqtt::Outgoing item, mqtt::Clock::time_point now,
                                    Actions& out) {
  now_ = now;
  if (item.message->expired(now)) {
    ++context_->stats.dropped;
    return mqtt::Offer::dropped_expired;
  }
  std::size_t overhead = publish_overhead + (via_ ? 3 + via_->node_id.size() : 0);
  if (item.message->payload_size() + overhead > limits().max_datagram) {
    ++context_->stats.dropped;
    return mqtt::Offer::dropped_too_large;
  }
  if (!state_ || phase_ == Phase::closing ||
      !state_->queue_bounded(std::move(item), limits().max_queued_messages,
                             limits().max_queued_bytes)) {
    ++context_->stats.dropped;
    return mqtt::Offer::dropped_queue_full;  // bounded, also for sleeping clients
  }
  pump(out);
  maybe_sleep_again(out);
  // The new item is last in the queue: it is still queued iff the queue is not empty.
  return state_ && !state_->queue.empty() ? mqtt::Offer::queued : mqtt::Offer::sent;
}

bool GatewaySession::can_send() const {
  return state_ && (phase_ == Phase::active || phase_ == Phase::awake) && !register_pending_ &&
         state_->inflight.empty();
}

/// Drains the queue while nothing is outstanding: QoS 0 messages go out back to back;
/// a QoS 1/2 message or a REGISTER fills the window of one and stops the drain.
void GatewaySession::pump(Actions& out) {
  while (can_send() && !state_->queue.empty()) {
    mqtt::Outgoing& front = state_->queue.front();
    if (front.message->expired(now_)) {
      drop_queued(out);
      continue;
    }
    std::optional<TopicRef> ref = outbound_topic(front.message->topic);
    if (!ref) {
      if (start_register(front.message->topic, out)) {
        return;  // the message waits for REGACK [MQTT-SN 6.10]
      }
      drop_queued(out);  // no topic id left for this client
      continue;
    }
    mqtt::Outgoing item = state_->pop_queued();
    if (item.qos == 0) {
      transmit(item, *ref, false, out);
      continue;
    }
    item.packet_id = state_->next_packet_id();
    item.released = false;
    transmit(item, *ref, false, out);
    changed(mqtt::OutboundChanged::Kind::sent, item, out);
    state_->inflight.push_back(std::move(item));
    retries_ = 0;
    arm_retry(out);
    return;
  }
}

/// Gateway-initiated REGISTER [MQTT-SN 6.10]: the id counts as known only after REGACK.
bool GatewaySession::start_register(const std::string& topic, Actions& out) {
  std::optional<std::uint16_t> id = topic_ids().assign(topic, false, limits().max_topics);
  if (!id) {
    return false;
  }
  register_pending_ =
      std::make_unique<PendingRegister>(PendingRegister{*id, state_->next_packet_id(), topic});
  emit(Register{*id, register_pending_->msg_id, topic}, out);
  retries_ = 0;
  arm_retry(out);
  return true;
}

/// A registered id first (a SUBACK by name announced it as the id the gateway will use
/// [MQTT-SN 5.4.16]), then a predefined id, then a short topic name [MQTT-SN 6.7].
std::optional<GatewaySession::TopicRef> GatewaySession::outbound_topic(
    const std::string& topic) const {
  if (auto id = topic_ids().confirmed_id(topic)) {
    return TopicRef{TopicIdType::normal, *id};
  }
  if (const PredefinedTopics* table = predefined()) {
    if (auto id = table->id_of(client_id_, topic)) {
      return TopicRef{TopicIdType::predefined, *id};
    }
  }
  if (topic.size() == 2) {
    return TopicRef{TopicIdType::short_name, short_topic_id(topic)};
  }
  return std::nullopt;
}

void GatewaySession::transmit(const mqtt::Outgoing& item, const TopicRef& ref, bool dup,
                              Actions& out) {
  Publish p;
  p.flags.dup = dup && item.qos > 0;
  p.flags.qos = static_cast<std::int8_t>(item.qos);
  p.flags.retain = item.retain;
  p.flags.topic_id_type = ref.type;
  p.topic_id = ref.id;
  p.msg_id = item.qos > 0 ? item.packet_id : 0;
  if (item.message->payload) {
    p.data = *item.message->payload;
  }
  emit(p, out);
}

/// Sends the outstanding message again (after Tretry, on accept, on wake-up): the
/// pending REGISTER, else the front of the in-flight list (PUBREL once PUBREC came,
/// else PUBLISH with DUP). Only the front is outstanding: the window is one.
void GatewaySession::resend_outstanding(Actions& out) {
  if (!state_) {
    return;
  }
  if (register_pending_) {
    const PendingRegister& r = *register_pending_;
    emit(Register{r.topic_id, r.msg_id, r.topic}, out);
    arm_retry(out);
    return;
  }
  while (!state_->inflight.empty()) {
    mqtt::Outgoing& item = state_->inflight.front();
    if (item.released) {
      emit(Pubrel{item.packet_id}, out);
      arm_retry(out);
      return;
    }
    std::optional<TopicRef> ref = outbound_topic(item.message->topic);
    if (ref) {
      transmit(item, *ref, true, out);
      arm_retry(out);
      return;
    }
    if (start_register(item.message->topic, out)) {
      return;  // e.g. a persistent session resumed: this client has no ids yet
    }
    drop_inflight(out);
  }
}

void GatewaySession::arm_retry(Actions& out) {
  out.add(StartTimer{TimerKind::retry, limits().retry_ms});
}

void GatewaySession::on_retry(Actions& out) {
  if (phase_ != Phase::active && phase_ != Phase::awake) {
    return;  // retransmission pauses while the client sleeps
  }
  if (!register_pending_ && (!state_ || state_->inflight.empty())) {
    return;  // acknowledged meanwhile
  }
  if (++retries_ > limits().max_retries) {
    close(mqtt::Reason::keep_alive_timeout, out);  // [MQTT-SN 6.13]: the client is lost
    return;
  }
  ++context_->stats.retransmissions;
  resend_outstanding(out);
}

void GatewaySession::handle_regack(const Regack& ack, Actions& out) {
  if (!register_pending_ || ack.msg_id != register_pending_->msg_id) {
    unexpected();
    return;
  }
  if (ack.return_code == ReturnCode::congestion) {
    return;  // keep it pending: the retry timer sends the REGISTER again
  }
  PendingRegister reg = std::move(*register_pending_);
  register_pending_.reset();
  if (ack.return_code == ReturnCode::accepted) {
    topic_ids().confirm(reg.topic_id);
    remember_topic(reg.topic_id, out);
  } else {
    if (!topic_ids().confirmed_id(reg.topic)) {
      topic_ids().erase(reg.topic_id);  // refused: the message waiting for it is dropped
    }
    if (!state_->inflight.empty() && state_->inflight.front().message->topic == reg.topic) {
      drop_inflight(out);
    } else if (!state_->queue.empty() && state_->queue.front().message->topic == reg.topic) {
      drop_queued(out);
    }
  }
  retries_ = 0;
  if (!state_->inflight.empty()) {
    resend_outstanding(out);
  } else {
    pump(out);
  }
  maybe_sleep_again(out);
}

/// PUBACK for a QoS 1 message, or an error for any QoS [MQTT-SN 6.10]. "Invalid topic
/// ID" forgets the registration, so the next message for that topic REGISTERs again.
void GatewaySession::handle_puback(const Puback& ack, Actions& out) {
  bool front = state_ && !state_->inflight.empty() &&
               state_->inflight.front().packet_id == ack.msg_id && ack.msg_id != 0;
  if (ack.return_code == ReturnCode::invalid_topic_id) {
    if (front) {
      if (auto id = topic_ids().confirmed_id(state_->inflight.front().message->topic)) {
        forget_topic(*id, out);
      }
    } else {
      forget_topic(ack.topic_id, out);  // about a QoS 0 message
    }
  }
  if (!front) {
    if (ack.return_code == ReturnCode::accepted) {
      unexpected();
    }
    return;
  }
  const mqtt::Outgoing& item = state_->inflight.front();
  if (ack.return_code == ReturnCode::accepted && item.qos != 1) {
    unexpected();  // a QoS 2 message completes with PUBREC/PUBCOMP
    return;
  }
  if (ack.return_code != ReturnCode::accepted) {
    ++context_->stats.dropped;
  }
  release_front(out);
}

void GatewaySession::handle_pubrec(const Pubrec& ack, Actions& out) {
  if (!state_ || state_->inflight.empty() || state_->inflight.front().packet_id != ack.msg_id ||
      state_->inflight.front().qos != 2) {
    unexpected();
    return;
  }
  mqtt::Outgoing& item = state_->inflight.front();
  if (!item.released) {
    item.released = true;  // a duplicate PUBREC only gets the PUBREL again
    changed(mqtt::OutboundChanged::Kind::released, item, out);
  }
  emit(Pubrel{ack.msg_id}, out);
  retries_ = 0;
  arm_retry(out);
}

void GatewaySession::handle_pubcomp(const Pubcomp& ack, Actions& out) {
  if (!state_ || state_->inflight.empty() || state_->inflight.front().packet_id != ack.msg_id ||
      !state_->inflight.front().released) {
    unexpected();
    return;
  }
  release_front(out);
}

std::optional<std::uint16_t> GatewaySession::register_topic(const std::string& name, Actions& out) {
  bool known = topic_ids().confirmed_id(name).has_value();
  std::optional<std::uint16_t> id = topic_ids().assign(name, true, limits().max_topics);
  if (id && !known) {
    remember_topic(*id, out);
  }
  return id;
}

void GatewaySession::remember_topic(std::uint16_t id, Actions& out) {
  if (const std::string* name = topic_ids().name_of(id)) {
    out.add(TopicIdChanged{id, *name, true});
  }
}

void GatewaySession::forget_topic(std::uint16_t id, Actions& out) {
  const std::string* name = topic_ids().name_of(id);
  if (!name) {
    return;
  }
  bool confirmed = topic_ids().confirmed_id(*name) == id;  // only those are kept for later
  topic_ids().erase(id);
  if (confirmed) {
    out.add(TopicIdChanged{id, {}, false});
  }
}

void GatewaySession::changed(mqtt::OutboundChanged::Kind kind, const mqtt::Outgoing& item,
                             Actions& out) {
  if (item.message->store_id != 0) {
    out.add(mqtt::OutboundChanged{kind, item});
  }
}

void GatewaySession::drop_queued(Actions& out) {
  changed(mqtt::OutboundChanged::Kind::completed, state_->pop_queued(), out);
  ++context_->stats.dropped;
}

void GatewaySession::drop_inflight(Actions& out) {
  changed(mqtt::OutboundChanged::Kind::completed, state_->inflight.front(), out);
  state_->inflight.pop_front();
  ++context_->stats.dropped;
}

void GatewaySession::release_front(Actions& out) {
  changed(mqtt::OutboundChanged::Kind::completed, state_->inflight.front(), out);
  state_->inflight.pop_front();
  retries_ = 0;
  if (!state_->inflight.empty()) {
    resend_outstanding(out);  // left over from a session with a wider window
  } else {
    pump(out);
  }
  maybe_sleep_again(out);
}

}  // namespace ferry::sn
