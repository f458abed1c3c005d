// PUBLISH, SUBSCRIBE, UNSUBSCRIBE and DISCONNECT from clients; delivery to local sessions.
#include <algorithm>

#include "broker/broker.hpp"
#include "broker/client.hpp"
#include "broker/shard.hpp"
#include "protocol/mqtt/topic.hpp"
#include "protocol/sn/gateway_session.hpp"

namespace ferry::broker {

void Shard::handle_publish(Client& client, mqtt::Publish&& publish) {
  Session* session = client.session;
  if (!session) {
    return;
  }
  Metrics::add(broker_.metrics().messages_received);
  Persistence& persistence = broker_.persistence();
  if (publish.qos > 0 && !persistence.healthy()) {
    client.complete_ack(client.expect_ack(publish.packet_id, publish.qos), false);  // 0x97
    return;
  }
  if (publish.qos == 2 && await_committing(client, *session, publish.packet_id)) {
    return;
  }
  std::uint16_t id = publish.packet_id;
  std::uint8_t qos = publish.qos;
  MessagePtr message = make_message(*session, std::move(publish));
  bool dedupe_stored = qos == 2 && Persistence::persistent(*session);
  RoutePlan plan = plan_publish(*session, message, id, dedupe_stored);
  if (qos == 0 || !persistence.acks_wait() || (!plan.stored && !dedupe_stored)) {
    broker_.execute(plan, index_);  // nothing to wait for (nothing stored, or no sync=ack)
    if (qos > 0) {
      client.complete_ack(client.expect_ack(id, qos), true);
    }
    return;
  }
  // sync = "ack": acknowledge once the rows are durable. QoS 2 is also delivered only
  // then, so a publisher's resend after a crash cannot reach a subscriber twice.
  std::shared_ptr<RoutePlan> delayed;
  if (qos == 1) {
    broker_.execute(plan, index_);
  } else {
    delayed = std::make_shared<RoutePlan>(std::move(plan));
    start_committing(*session, id);
  }
  std::uint64_t ticket = client.expect_ack(id, qos);
  PendingPublish pending{client.serial, &client, session->id, ticket, id, qos, delayed};
  persistence.commit([this, pending](bool ok) {
    loop_.post([this, pending, ok] { publish_committed(pending, ok); });
  });
}

RoutePlan Shard::plan_publish(const Session& session, const MessagePtr& message,
                              std::uint16_t packet_id, bool dedupe_stored) {
  // The stored id without the message's rows would turn the publisher's resend after a
  // crash into a "duplicate", and the message would be lost: one transaction.
  Persistence::Group group(broker_.persistence());
  if (dedupe_stored) {
    broker_.persistence().put_inbound_qos2(session.client_id, packet_id);
  }
  return broker_.plan(message, index_);
}

MessagePtr Shard::make_message(const Session& session, mqtt::Publish&& publish) {
  auto message = std::make_shared<Message>();
  message->topic = std::move(publish.topic);
  message->payload = std::move(publish.payload);
  message->qos = publish.qos;
  message->retain = publish.retain;
  message->origin_session = session.id;
  if (auto expiry = publish.properties.message_expiry_interval) {
    message->expires_at = now() + std::chrono::seconds(*expiry);
  }
  message->properties = std::move(publish.properties);
  message->properties.message_expiry_interval.reset();
  message->properties.subscription_identifiers.clear();
  message->properties.topic_alias.reset();
  if (publish.qos > 0 && broker_.persistence().enabled()) {
    message->store_id = broker_.persistence().next_message_id();
  }
  return message;
}

void Shard::publish_committed(const PendingPublish& pending, bool ok) {
  if (pending.plan) {
    broker_.execute(*pending.plan, index_);
  }
  Client* client = live_client(pending.client, pending.serial);
  if (client) {
    client->complete_ack(pending.ticket, ok);  // its PUBREC puts the id in the session
  }
  if (pending.qos == 2) {
    qos2_committed(pending.session, pending.packet_id, ok, client == nullptr);
  }
}

void Shard::publish_unconnected(mqtt::Publish&& publish) {
  Metrics::add(broker_.metrics().messages_received);
  Session anonymous;  // no session: origin 0, nothing to acknowledge
  publish.qos = 0;
  broker_.route(make_message(anonymous, std::move(publish)), index_);
}

void Shard::update_will(Client& client, const sn::WillUpdate& update) {
  Session* session = client.session;
  if (!session) {
    return;
  }
  if (update.clear) {
    session->will.reset();
  } else {
    if (!session->will) {
      session->will = std::make_unique<mqtt::Will>();
    }
    if (update.topic) {
      session->will->topic = *update.topic;
      session->will->qos = update.qos;
      session->will->retain = update.retain;
    }
    if (update.payload) {
      session->will->payload = *update.payload;
    }
  }
  broker_.persistence().save_session(*session, true);
}

void Shard::topic_id_changed(Client& client, const sn::TopicIdChanged& change) {
  Session* session = client.session;
  if (!session || !Persistence::persistent(*session)) {
    return;
  }
  if (change.registered) {
    broker_.persistence().put_topic(session->client_id, change.id, change.topic);
    hold_until_durable(client);  // the REGACK / SUBACK promises the id: durable first
  } else {
    broker_.persistence().erase_topic(session->client_id, change.id);
  }
}

void Shard::outbound_changed(Client& client, const mqtt::OutboundChanged& change) {
  Session* session = client.session;
  if (!session || !Persistence::persistent(*session)) {
    return;
  }
  Persistence& persistence = broker_.persistence();
  if (change.kind == mqtt::OutboundChanged::Kind::completed) {
    persistence.dequeue(session->client_id, change.item.message);
    return;
  }
  persistence.update(session->client_id, change.item);
  if (change.item.qos == 2) {
    // After a crash the client may still hold this id awaiting PUBREL: the id (and the
    // PUBREL state) must be durable before the packet leaves, or a restarted broker
    // could give the id to another message, which the client would then discard.
    hold_until_durable(client);
  }
}

void Shard::hold_until_durable(Client& client) {
  Persistence& persistence = broker_.persistence();
  if (!persistence.acks_wait()) {
    return;
  }
  client.hold_output();
  std::uint64_t serial = client.serial;
  Client* held = &client;
  persistence.commit([this, serial, held](bool) {
    loop_.post([this, serial, held] {
      if (Client* client = live_client(held, serial)) {
        client->release_output();
      }
    });
  });
}

void Shard::inbound_released(Client& client, std::uint16_t packet_id) {
  Session* session = client.session;
  if (session && Persistence::persistent(*session)) {
    broker_.persistence().erase_inbound_qos2(session->client_id, packet_id);
    // The PUBCOMP waits for this: after a crash the restored id would otherwise make
    // the client's next message with the same id look like a duplicate, and vanish.
    hold_until_durable(client);
  }
}

void Shard::handle_subscribe(Client& client, mqtt::Subscribe&& subscribe) {
  Session* session = client.session;
  if (!session) {
    return;
  }
  std::uint32_t subscription_id = subscribe.properties.subscription_identifiers.empty()
                                      ? 0
                                      : subscribe.properties.subscription_identifiers.front();
  mqtt::Suback ack{subscribe.packet_id, {}, {}};
  std::vector<std::pair<MessagePtr, mqtt::Outgoing>> to_send;
  for (const auto& topic : subscribe.topics) {
    std::vector<MessagePtr> retained;
    if (topic.no_local && mqtt::is_shared_prefix(topic.filter)) {
      client.disconnect(mqtt::Reason::protocol_error);  // [MQTT-3.8.3-4]
      return;
    }
    mqtt::Reason reason = subscribe_one(*session, topic, subscription_id, retained);
    ack.reasons.push_back(reason);
    for (auto& message : retained) {
      mqtt::Outgoing item{message, std::min(message->qos, topic.qos), true, {}};
      if (subscription_id != 0) {
        item.subscription_ids.push_back(subscription_id);
      }
      to_send.emplace_back(message, std::move(item));
    }
  }
  client.send(ack);
  for (auto& [message, item] : to_send) {
    offer(*session, std::move(item));  // retained messages follow the SUBACK [MQTT-3.3.1-9]
  }
}

mqtt::Reason Shard::subscribe_one(Session& session, const mqtt::SubscribeTopic& topic,
                                  std::uint32_t subscription_id,
                                  std::vector<MessagePtr>& retained) {
  if (!mqtt::valid_topic_filter(topic.filter)) {  // shared ones too [MQTT 4.8.2]
    return mqtt::Reason::topic_filter_invalid;
  }
  SubscriptionOptions options{topic.qos, topic.no_local, topic.retain_as_published,
                              topic.retain_handling, subscription_id};
  const bool existed = session.subscriptions.put(topic.filter, options);
  broker_.persistence().save_subscription(session, topic.filter, options);
  const FilterParts parts = split_filter(topic.filter);
  broker_.subscribe(parts.plain, parts.group, {index_, session.id}, options);
  bool send_retained = topic.retain_handling == 0 || (topic.retain_handling == 1 && !existed);
  if (parts.group.empty() && send_retained) {  // shared ones get no retained [MQTT 4.8.2]
    retained = broker_.retained_matching(parts.plain);
  }
  return static_cast<mqtt::Reason>(topic.qos);
}

void Shard::handle_unsubscribe(Client& client, mqtt::Unsubscribe&& unsubscribe) {
  Session* session = client.session;
  if (!session) {
    return;
  }
  mqtt::Unsuback ack{unsubscribe.packet_id, {}, {}};
  for (const auto& filter : unsubscribe.filters) {
    if (!session->subscriptions.erase(filter)) {
      ack.reasons.push_back(mqtt::Reason::no_subscription_existed);
      continue;
    }
    const FilterParts parts = split_filter(filter);
    broker_.unsubscribe(parts.plain, parts.group, {index_, session->id});
    broker_.persistence().erase_subscription(*session, filter);
    ack.reasons.push_back(mqtt::Reason::success);
  }
  client.send(ack);
}

void Shard::handle_disconnect(Client& client, const mqtt::Disconnect& disconnect) {
  client.client_disconnect = disconnect.reason;
  Session* session = client.session;
  if (session && disconnect.properties.session_expiry_interval) {
    session->expiry_interval = std::min(*disconnect.properties.session_expiry_interval,
                                        broker_.options().max_session_expiry);
  }
}

void Shard::deliver(const MessagePtr& message, const std::vector<Delivery>& deliveries) {
  std::vector<Delivery> forward;
  for (const Delivery& d : deliveries) {
    auto it = sessions_.find(d.who.session);
    if (it == sessions_.end()) {
      // Moved to another shard since the match: follow it (the session was posted there
      // first, so it arrives before this). Otherwise it ended: nothing to do.
      if (auto moved = moved_.find(d.who.session); moved != moved_.end()) {
        forward.push_back(d);
      }
      continue;
    }
    mqtt::Outgoing item{message, std::min(message->qos, d.qos),
                        d.retain_as_published && message->retain, d.subscription_ids};
    offer(*it->second, std::move(item));
  }
  for (const Delivery& d : forward) {
    Shard& target = broker_.shard(moved_.at(d.who.session).shard);
    auto batch = std::make_shared<std::vector<Delivery>>(1, d);
    target.loop().post([&target, message, batch] { target.deliver(message, *batch); });
  }
}

void Shard::offer(Session& session, mqtt::Outgoing&& item) {
  Metrics& m = broker_.metrics();
  const auto& limits = broker_.options().limits;
  MessagePtr message = item.message;
  if (session.client && session.client->connected()) {
    if (item.qos == 0 && session.client->pending_bytes() > limits.max_queued_bytes) {
      Metrics::add(m.dropped_slow_consumer);  // the client reads slower than it is sent to
      return;
    }
    mqtt::Offer offer = session.client->publish(std::move(item));
    if (offer == mqtt::Offer::sent || offer == mqtt::Offer::queued) {
      Metrics::add(m.messages_sent);
      return;
    }
    Metrics::add(offer == mqtt::Offer::dropped_expired     ? m.dropped_expired
                 : offer == mqtt::Offer::dropped_too_large ? m.dropped_too_large
                                                           : m.dropped_queue_full);
    if (Persistence::persistent(session)) {
      broker_.persistence().dequeue(session.client_id, message);
    }
    return;
  }
  if (item.qos == 0) {
    return;  // QoS 0 is not kept for offline sessions
  }
  if (!session.state.queue_bounded(std::move(item), limits.max_queued_messages,
                                   limits.max_queued_bytes)) {
    Metrics::add(m.dropped_queue_full);
    if (Persistence::persistent(session)) {
      broker_.persistence().dequeue(session.client_id, message);
    }
  }
}

}  // namespace ferry::broker
