// sn::GatewaySession life cycle: datagram dispatch, CONNECT and the will dialogue,
// keep alive, DISCONNECT and sleeping clients, timers.
#include "protocol/sn/gateway_session.hpp"

#include "protocol/mqtt/topic.hpp"
#include "protocol/sn/codec.hpp"

namespace ferry::sn {

void PendingTopicIds::put(For answer, std::uint16_t msg_id, std::uint16_t topic_id) {
  for (Entry& e : entries_) {
    if (e.answer == answer && e.msg_id == msg_id) {
      e.topic_id = topic_id;
      return;
    }
  }
  entries_.push_back(Entry{answer, msg_id, topic_id});
}

std::uint16_t PendingTopicIds::take(For answer, std::uint16_t msg_id) {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].answer == answer && entries_[i].msg_id == msg_id) {
      std::uint16_t topic = entries_[i].topic_id;
      entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
      if (entries_.empty()) {
        std::vector<Entry>().swap(entries_);
      }
      return topic;
    }
  }
  return 0;
}

GatewaySession::GatewaySession(GatewayContext& context, std::optional<Forwarder> via)
    : context_(&context), via_(via ? std::make_unique<Forwarder>(std::move(*via)) : nullptr) {}

void GatewaySession::start(Actions& out) {
  out.add(StartTimer{TimerKind::connect, limits().connect_timeout_ms});
}

bool GatewaySession::connected() const {
  return phase_ == Phase::active || phase_ == Phase::asleep || phase_ == Phase::awake;
}

void GatewaySession::on_datagram(std::span<const std::uint8_t> datagram, Actions& out) {
  if (phase_ == Phase::closing) {
    return;
  }
  ++context_->stats.datagrams_in;
  Decoded decoded = decode(datagram);
  if (decoded.ok()) {
    if (auto* wrapped = std::get_if<Encapsulated>(&decoded.message)) {
      decoded = decode(wrapped->message);  // already validated by the outer decode
    }
  }
  if (!decoded.ok()) {
    ++context_->stats.malformed;
    return;
  }
  activity_ = true;
  dispatch(std::move(decoded.message), out);
}

void GatewaySession::unexpected() {
  ++context_->stats.unexpected;
}

// One flat switch per state group reads better than a table of handlers; hence the length.
void GatewaySession::dispatch(Message&& message, Actions& out) {
  bool open = phase_ == Phase::active || phase_ == Phase::awake;
  switch (type_of(message)) {
    case MsgType::connect:
      return handle_connect(std::get<Connect>(std::move(message)), out);
    case MsgType::willtopic:
      return handle_will_topic(std::get<Willtopic>(std::move(message)), out);
    case MsgType::willmsg:
      return handle_will_message(std::get<Willmsg>(std::move(message)), out);
    case MsgType::disconnect:
      return handle_disconnect(std::get<Disconnect>(message), out);
    case MsgType::pingreq:
      return handle_pingreq(std::get<Pingreq>(message), out);
    default:
      break;
  }
  if (!open) {
    unexpected();  // nothing else before CONNACK or while asleep [MQTT-SN 6.14]
    return;
  }
  switch (type_of(message)) {
    case MsgType::publish:
      return handle_publish(std::get<Publish>(std::move(message)), out);
    case MsgType::register_:
      return handle_register(std::get<Register>(message), out);
    case MsgType::regack:
      return handle_regack(std::get<Regack>(message), out);
    case MsgType::puback:
      return handle_puback(std::get<Puback>(message), out);
    case MsgType::pubrec:
      return handle_pubrec(std::get<Pubrec>(message), out);
    case MsgType::pubrel:
      return handle_pubrel(std::get<Pubrel>(message), out);
    case MsgType::pubcomp:
      return handle_pubcomp(std::get<Pubcomp>(message), out);
    case MsgType::subscribe:
      return handle_subscribe(std::get<Subscribe>(std::move(message)), out);
    case MsgType::unsubscribe:
      return handle_unsubscribe(std::get<Unsubscribe>(std::move(message)), out);
    case MsgType::willtopicupd:
      return handle_will_update(std::get<Willtopicupd>(std::move(message)), out);
    case MsgType::willmsgupd:
      return handle_will_update(std::get<Willmsgupd>(std::move(message)), out);
    default:
      unexpected();  // gateway-to-client types, ADVERTISE/SEARCHGW/GWINFO (driver's)
      return;
  }
}

/// [MQTT-SN 6.2]: CONNECT, then WILLTOPICREQ/WILLTOPIC and WILLMSGREQ/WILLMSG when the
/// Will flag is set. On an attached session a CONNECT is a re-connect (e.g. a sleeping
/// client going active [MQTT-SN 6.14], or a CONNACK that was lost): answered here.
void GatewaySession::handle_connect(Connect&& connect, Actions& out) {
  if (phase_ == Phase::awaiting_accept) {
    unexpected();  // a retransmission while the broker decides
    return;
  }
  if (accepted_ && !connect.client_id.empty() && connect.client_id != client_id_) {
    close(mqtt::Reason::session_taken_over, out);  // another client at this address
    return;
  }
  if (!accepted_) {
    client_id_ = connect.client_id;  // later: kept (the broker may have assigned one)
  }
  pending_connect_ = std::make_unique<mqtt::Connect>();
  pending_connect_->version = mqtt::Version::v3_1_1;
  pending_connect_->clean_start = connect.flags.clean_session;  // [MQTT-SN 6.3]
  pending_connect_->keep_alive = connect.duration;
  pending_connect_->client_id = std::move(connect.client_id);
  if (connect.flags.will) {
    phase_ = Phase::awaiting_will_topic;
    emit(Willtopicreq{}, out);
    if (accepted_) {
      out.add(StartTimer{TimerKind::connect, limits().connect_timeout_ms});
    }
    return;
  }
  finish_connect(out);
}

void GatewaySession::handle_will_topic(Willtopic&& topic, Actions& out) {
  if (phase_ != Phase::awaiting_will_topic) {
    unexpected();
    return;
  }
  if (topic.topic.empty()) {
    finish_connect(out);  // an empty WILLTOPIC: no will [MQTT-SN 5.4.7]
    return;
  }
  if (topic.flags.qos < 0 || !mqtt::valid_topic_name(topic.topic)) {
    emit(Connack{ReturnCode::not_supported}, out);
    close(mqtt::Reason::topic_name_invalid, out);
    return;
  }
  mqtt::Will will;
  will.topic = std::move(topic.topic);
  will.qos = static_cast<std::uint8_t>(topic.flags.qos);
  will.retain = topic.flags.retain;
  pending_connect_->will = std::move(will);
  phase_ = Phase::awaiting_will_message;
  emit(Willmsgreq{}, out);
}

void GatewaySession::handle_will_message(Willmsg&& message, Actions& out) {
  if (phase_ != Phase::awaiting_will_message || !pending_connect_ || !pending_connect_->will) {
    unexpected();
    return;
  }
  pending_connect_->will->payload = std::move(message.message);
  finish_connect(out);
}

void GatewaySession::finish_connect(Actions& out) {
  // Only held during the will dialogue: an idle client should not carry a CONNECT.
  std::unique_ptr<mqtt::Connect> connect = std::move(pending_connect_);
  keep_alive_ = connect->keep_alive;
  if (!accepted_) {
    phase_ = Phase::awaiting_accept;
    out.add(mqtt::Deliver{std::move(*connect)});
    return;
  }
  if (connect->will) {
    mqtt::Will& will = *connect->will;
    WillUpdate update{false, std::move(will.topic), will.qos, will.retain, std::move(will.payload)};
    out.add(UpdateWill{std::move(update)});
  }
  emit(Connack{ReturnCode::accepted}, out);
  phase_ = Phase::active;
  start_keep_alive(out);
  retries_ = 0;
  resend_outstanding(out);
  pump(out);
}

void GatewaySession::accept(mqtt::SessionState& state, bool /*session_present*/,
                            mqtt::Clock::time_point now, Actions& out) {
  if (phase_ != Phase::awaiting_accept) {
    return;
  }
  state_ = &state;
  now_ = now;
  accepted_ = true;
  phase_ = Phase::active;
  state.sn_topic_ids.drop_unconfirmed();  // the session's ids: no REGISTER needed for them
  emit(Connack{ReturnCode::accepted}, out);
  start_keep_alive(out);
  retries_ = 0;
  resend_outstanding(out);
  pump(out);
}

void GatewaySession::refuse(mqtt::Reason reason, Actions& out) {
  if (phase_ == Phase::closing) {
    return;
  }
  ReturnCode rc = return_code_for(reason);
  emit(Connack{rc == ReturnCode::accepted ? ReturnCode::not_supported : rc}, out);
  close(reason, out);
}

/// [MQTT-SN 6.12]: without Duration the client leaves; with one it goes to sleep [6.14].
void GatewaySession::handle_disconnect(const Disconnect& disconnect, Actions& out) {
  bool sleep = disconnect.duration && *disconnect.duration > 0;
  if (sleep && connected()) {
    sleep_duration_ = *disconnect.duration;
    emit(Disconnect{}, out);
    go_to_sleep(out);
    return;
  }
  if (accepted_) {
    out.add(mqtt::Deliver{mqtt::Disconnect{}});  // normal: no will
  }
  emit(Disconnect{}, out);
  close(mqtt::Reason::success, out);
}

void GatewaySession::go_to_sleep(Actions& out) {
  phase_ = Phase::asleep;
  out.add(StartTimer{TimerKind::sleep, sleep_duration_ * 1500u});
}

/// [MQTT-SN 6.11, 6.14]: a PINGREQ with the ClientId wakes a sleeping client: buffered
/// messages go out (QoS handshakes included), then PINGRESP, and it is asleep again.
void GatewaySession::handle_pingreq(const Pingreq& ping, Actions& out) {
  if (phase_ == Phase::active) {
    emit(Pingresp{}, out);
    return;
  }
  if (phase_ != Phase::asleep || (!ping.client_id.empty() && ping.client_id != client_id_)) {
    unexpected();  // before CONNACK, already awake, or someone else's id
    return;
  }
  phase_ = Phase::awake;
  retries_ = 0;
  resend_outstanding(out);
  pump(out);
  maybe_sleep_again(out);
}

void GatewaySession::maybe_sleep_again(Actions& out) {
  if (phase_ != Phase::awake || register_pending_ || (state_ && !state_->inflight.empty()) ||
      (state_ && !state_->queue.empty())) {
    return;
  }
  emit(Pingresp{}, out);
  go_to_sleep(out);
}

void GatewaySession::start_keep_alive(Actions& out) {
  activity_ = false;
  idle_ticks_ = 0;
  if (keep_alive_ > 0) {
    out.add(StartTimer{TimerKind::keep_alive, keep_alive_ * 1500u / mqtt::keep_alive_ticks});
  }
}

/// [MQTT-SN 6.11]: the client is lost after 1.5 x Duration without a message.
void GatewaySession::keep_alive_tick(Actions& out) {
  if (phase_ != Phase::active || keep_alive_ == 0) {
    return;  // asleep or awake: the sleep timer supervises
  }
  if (activity_) {
    activity_ = false;
    idle_ticks_ = 0;
  } else if (++idle_ticks_ >= mqtt::keep_alive_ticks) {
    close(mqtt::Reason::keep_alive_timeout, out);
    return;
  }
  out.add(StartTimer{TimerKind::keep_alive, keep_alive_ * 1500u / mqtt::keep_alive_ticks});
}

void GatewaySession::on_timer(TimerKind kind, Actions& out) {
  switch (kind) {
    case TimerKind::connect:
      if (phase_ == Phase::awaiting_connect || phase_ == Phase::awaiting_will_topic ||
          phase_ == Phase::awaiting_will_message) {
        close(mqtt::Reason::maximum_connect_time, out);
      }
      return;
    case TimerKind::keep_alive:
      return keep_alive_tick(out);
    case TimerKind::retry:
      return on_retry(out);
    case TimerKind::sleep:
      if (phase_ == Phase::asleep) {
        close(mqtt::Reason::keep_alive_timeout, out);  // lost while asleep [MQTT-SN 6.14]
      }
      return;
  }
}

void GatewaySession::disconnect(mqtt::Reason reason, Actions& out) {
  if (phase_ == Phase::closing) {
    return;
  }
  emit(Disconnect{}, out);
  close(reason, out);
}

void GatewaySession::close(mqtt::Reason reason, Actions& out) {
  if (phase_ == Phase::closing) {
    return;
  }
  phase_ = Phase::closing;
  out.add(mqtt::Close{reason});
}

mqtt::SessionState* GatewaySession::detach() {
  mqtt::SessionState* state = state_;
  if (state) {
    state->sn_topic_ids.drop_unconfirmed();  // gateway REGISTERs the client never answered
  }
  state_ = nullptr;
  return state;
}

void GatewaySession::emit(const Message& message, Actions& out) {
  std::string datagram;
  if (!encode(message, datagram)) {
    ++context_->stats.dropped;
    return;
  }
  if (via_) {
    std::string wrapped;
    if (!encapsulate(via_->ctrl, via_->node_id, datagram, wrapped)) {
      ++context_->stats.dropped;
      return;
    }
    datagram.swap(wrapped);
  }
  out.datagrams.push_back(std::move(datagram));
  ++context_->stats.datagrams_out;
}

ReturnCode return_code_for(mqtt::Reason reason) {
  switch (reason) {
    case mqtt::Reason::success:
    case mqtt::Reason::granted_qos1:
    case mqtt::Reason::granted_qos2:
    case mqtt::Reason::no_matching_subscribers:
      return ReturnCode::accepted;
    case mqtt::Reason::server_busy:
    case mqtt::Reason::server_unavailable:
    case mqtt::Reason::quota_exceeded:
    case mqtt::Reason::message_rate_too_high:
    case mqtt::Reason::connection_rate_exceeded:
      return ReturnCode::congestion;
    default:
      return ReturnCode::not_supported;
  }
}

}  // namespace ferry::sn
