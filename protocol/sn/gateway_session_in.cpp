// sn::GatewaySession, client to gateway: PUBLISH, REGISTER, SUBSCRIBE, UNSUBSCRIBE,
// will updates, PUBREL; and the broker's answers to them (send()).
#include "protocol/mqtt/topic.hpp"
#include "protocol/sn/codec.hpp"
#include "protocol/sn/gateway_session.hpp"

namespace ferry::sn {
namespace {

/// The topic name or filter a TopicIdType + field designate [MQTT-SN 5.3.4, 6.7].
std::optional<std::string> topic_of(TopicIdType type, const std::string& name, std::uint16_t id,
                                    const PredefinedTopics* predefined,
                                    const std::string& client_id) {
  switch (type) {
    case TopicIdType::normal:
      return name;
    case TopicIdType::predefined: {
      const std::string* found = predefined ? predefined->name_of(client_id, id) : nullptr;
      return found ? std::optional<std::string>(*found) : std::nullopt;
    }
    case TopicIdType::short_name:
      return short_topic_name(id);
  }
  return std::nullopt;
}

bool wildcard_or_shared(const std::string& filter) {
  return filter.find_first_of("+#") != std::string::npos || mqtt::is_shared_prefix(filter);
}

mqtt::Publish to_mqtt(Publish&& p, std::string topic) {
  mqtt::Publish publish;
  publish.qos = static_cast<std::uint8_t>(p.flags.qos < 0 ? 0 : p.flags.qos);
  publish.retain = p.flags.retain;
  publish.dup = p.flags.dup && publish.qos > 0;
  publish.topic = std::move(topic);
  publish.packet_id = publish.qos > 0 ? p.msg_id : 0;
  publish.payload = std::make_shared<const mqtt::Bytes>(std::move(p.data));
  return publish;
}

}  // namespace

std::optional<std::string> GatewaySession::inbound_topic(const Publish& p) const {
  if (p.flags.topic_id_type == TopicIdType::normal) {
    const std::string* name = topic_ids().name_of(p.topic_id);
    return name ? std::optional<std::string>(*name) : std::nullopt;
  }
  return topic_of(p.flags.topic_id_type, {}, p.topic_id, predefined(), client_id_);
}

/// [MQTT-SN 6.6]: an unknown topic id is answered with PUBACK "rejected: invalid topic ID".
void GatewaySession::handle_publish(Publish&& p, Actions& out) {
  std::int8_t qos = p.flags.qos;
  if (qos > 0 && p.msg_id == 0) {
    unexpected();  // QoS 1/2 need a MsgId [MQTT-SN 5.3.7]
    return;
  }
  std::optional<std::string> topic = inbound_topic(p);
  if (!topic) {
    emit(Puback{p.topic_id, p.msg_id, ReturnCode::invalid_topic_id}, out);
    return;
  }
  if (!mqtt::valid_topic_name(*topic)) {
    emit(Puback{p.topic_id, p.msg_id, ReturnCode::not_supported}, out);
    return;
  }
  if (qos == 2 && state_ && state_->inbound_qos2.contains(p.msg_id)) {
    emit(Pubrec{p.msg_id}, out);  // a retransmission of a PUBLISH already accepted
    return;
  }
  if (qos > 0) {
    answer_topic_ids_.put(PendingTopicIds::For::puback, p.msg_id, p.topic_id);
  }
  out.add(mqtt::Deliver{to_mqtt(std::move(p), std::move(*topic))});
}

/// [MQTT-SN 6.5]: the client asks for the topic id of a name.
void GatewaySession::handle_register(const Register& reg, Actions& out) {
  if (!mqtt::valid_topic_name(reg.topic_name)) {
    emit(Regack{0, reg.msg_id, ReturnCode::not_supported}, out);
    return;
  }
  std::optional<std::uint16_t> id = register_topic(reg.topic_name, out);
  if (!id) {
    emit(Regack{0, reg.msg_id, ReturnCode::congestion}, out);
    return;
  }
  emit(Regack{*id, reg.msg_id, ReturnCode::accepted}, out);
}

/// [MQTT-SN 6.9]: by name (wildcards allowed: SUBACK carries topic id 0x0000 and the
/// gateway REGISTERs each topic before delivering it), by predefined id, or short name.
void GatewaySession::handle_subscribe(Subscribe&& s, Actions& out) {
  Flags granted;
  if (s.flags.qos < 0) {
    emit(Suback{granted, 0, s.msg_id, ReturnCode::not_supported}, out);
    return;
  }
  std::optional<std::string> filter =
      topic_of(s.flags.topic_id_type, s.topic_name, s.topic_id, predefined(), client_id_);
  if (!filter) {
    emit(Suback{granted, s.topic_id, s.msg_id, ReturnCode::invalid_topic_id}, out);
    return;
  }
  if (!mqtt::valid_topic_filter(*filter)) {
    emit(Suback{granted, 0, s.msg_id, ReturnCode::not_supported}, out);
    return;
  }
  std::uint16_t reported = 0;
  if (s.flags.topic_id_type == TopicIdType::predefined) {
    reported = s.topic_id;
  } else if (s.flags.topic_id_type == TopicIdType::normal && !wildcard_or_shared(*filter)) {
    std::optional<std::uint16_t> id = register_topic(*filter, out);
    if (!id) {
      emit(Suback{granted, 0, s.msg_id, ReturnCode::congestion}, out);
      return;
    }
    reported = *id;
  }
  answer_topic_ids_.put(PendingTopicIds::For::suback, s.msg_id, reported);
  mqtt::Subscribe subscribe;
  subscribe.packet_id = s.msg_id;
  subscribe.topics.push_back(
      mqtt::SubscribeTopic{std::move(*filter), static_cast<std::uint8_t>(s.flags.qos)});
  out.add(mqtt::Deliver{std::move(subscribe)});
}

void GatewaySession::handle_unsubscribe(Unsubscribe&& u, Actions& out) {
  std::optional<std::string> filter =
      topic_of(u.flags.topic_id_type, u.topic_name, u.topic_id, predefined(), client_id_);
  if (!filter || !mqtt::valid_topic_filter(*filter)) {
    emit(Unsuback{u.msg_id}, out);  // nothing that could be subscribed: nothing to remove
    return;
  }
  mqtt::Unsubscribe unsubscribe;
  unsubscribe.packet_id = u.msg_id;
  unsubscribe.filters.push_back(std::move(*filter));
  out.add(mqtt::Deliver{std::move(unsubscribe)});
}

/// [MQTT-SN 6.4]: WILLTOPICUPD (empty: delete the will) -> WILLTOPICRESP.
void GatewaySession::handle_will_update(Willtopicupd&& u, Actions& out) {
  WillUpdate update;
  if (u.topic.empty()) {
    update.clear = true;
  } else if (u.flags.qos < 0 || !mqtt::valid_topic_name(u.topic)) {
    emit(Willtopicresp{ReturnCode::not_supported}, out);
    return;
  } else {
    update.topic = std::move(u.topic);
    update.qos = static_cast<std::uint8_t>(u.flags.qos);
    update.retain = u.flags.retain;
  }
  emit(Willtopicresp{ReturnCode::accepted}, out);
  out.add(UpdateWill{std::move(update)});
}

/// [MQTT-SN 6.4]: WILLMSGUPD -> WILLMSGRESP.
void GatewaySession::handle_will_update(Willmsgupd&& u, Actions& out) {
  emit(Willmsgresp{ReturnCode::accepted}, out);
  UpdateWill event;
  event.update.payload = std::move(u.message);
  out.add(std::move(event));
}

/// [MQTT-SN 6.6]: the client's QoS 2 PUBLISH completes with PUBREL -> PUBCOMP.
void GatewaySession::handle_pubrel(const Pubrel& pubrel, Actions& out) {
  if (state_ && state_->inbound_qos2.erase(pubrel.msg_id) > 0) {
    out.add(mqtt::InboundReleased{pubrel.msg_id});
  }
  emit(Pubcomp{pubrel.msg_id}, out);
}

void GatewaySession::send(const mqtt::Packet& packet, Actions& out) {
  if (phase_ == Phase::closing) {
    return;
  }
  if (const auto* ack = std::get_if<mqtt::Puback>(&packet)) {
    send_ack(ack->packet_id, ack->reason, false, out);
  } else if (const auto* rec = std::get_if<mqtt::Pubrec>(&packet)) {
    send_ack(rec->packet_id, rec->reason, true, out);
  } else if (const auto* sub = std::get_if<mqtt::Suback>(&packet)) {
    std::uint16_t topic_id = answer_topic_ids_.take(PendingTopicIds::For::suback, sub->packet_id);
    mqtt::Reason reason = sub->reasons.empty() ? mqtt::Reason::unspecified_error : sub->reasons[0];
    Flags granted;
    ReturnCode rc = ReturnCode::accepted;
    if (mqtt::is_error(reason)) {
      rc = return_code_for(reason);
      rc = rc == ReturnCode::accepted ? ReturnCode::not_supported : rc;
      topic_id = 0;
    } else {
      granted.qos = static_cast<std::int8_t>(static_cast<std::uint8_t>(reason) & 0x03);
    }
    emit(Suback{granted, topic_id, sub->packet_id, rc}, out);
  } else if (const auto* unsub = std::get_if<mqtt::Unsuback>(&packet)) {
    emit(Unsuback{unsub->packet_id}, out);
  } else if (const auto* disc = std::get_if<mqtt::Disconnect>(&packet)) {
    disconnect(disc->reason, out);
  }
}

/// PUBACK (with the TopicId of the PUBLISH [MQTT-SN 5.4.12]) or PUBREC. MQTT-SN has no
/// reason in PUBREC, so a refused QoS 2 PUBLISH is answered with a PUBACK and a code.
void GatewaySession::send_ack(std::uint16_t packet_id, mqtt::Reason reason, bool qos2,
                              Actions& out) {
  std::uint16_t topic_id = answer_topic_ids_.take(PendingTopicIds::For::puback, packet_id);
  ReturnCode rc = return_code_for(reason);
  if (qos2 && rc == ReturnCode::accepted) {
    if (state_) {
      state_->inbound_qos2.insert(packet_id);  // until PUBREL
    }
    emit(Pubrec{packet_id}, out);
    return;
  }
  emit(Puback{topic_id, packet_id, rc}, out);
}

std::optional<mqtt::Publish> GatewaySession::decode_qos_minus_one(
    std::span<const std::uint8_t> datagram, const PredefinedTopics* predefined) {
  Decoded decoded = decode(datagram);
  if (decoded.ok()) {
    if (auto* wrapped = std::get_if<Encapsulated>(&decoded.message)) {
      decoded = decode(wrapped->message);
    }
  }
  auto* p = decoded.ok() ? std::get_if<Publish>(&decoded.message) : nullptr;
  if (!p || p->flags.qos != -1 || p->flags.topic_id_type == TopicIdType::normal) {
    return std::nullopt;  // [MQTT-SN 6.8]: predefined ids and short names only
  }
  std::optional<std::string> topic =
      topic_of(p->flags.topic_id_type, {}, p->topic_id, predefined, std::string());
  if (!topic || !mqtt::valid_topic_name(*topic)) {
    return std::nullopt;
  }
  return to_mqtt(std::move(*p), std::move(*topic));
}

}  // namespace ferry::sn
