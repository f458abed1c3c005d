#include "gateway/translate.hpp"

namespace ferry::gateway {

mqtt::Publish to_publish(const mqtt::Outgoing& item, mqtt::Clock::time_point now) {
  const mqtt::Message& m = *item.message;
  mqtt::Publish publish;
  publish.qos = item.qos;
  publish.retain = item.retain;
  publish.topic = m.topic;
  publish.payload = m.payload ? m.payload : std::make_shared<const mqtt::Bytes>();
  publish.properties = m.properties;
  if (auto left = m.remaining_expiry(now)) {
    publish.properties.message_expiry_interval = *left;
  }
  return publish;
}

mqtt::MessagePtr to_message(mqtt::Publish&& publish, mqtt::Clock::time_point now) {
  auto message = std::make_shared<mqtt::Message>();
  message->topic = std::move(publish.topic);
  message->payload = std::move(publish.payload);
  message->qos = publish.qos;
  message->retain = publish.retain;
  if (auto expiry = publish.properties.message_expiry_interval) {
    message->expires_at = now + std::chrono::seconds(*expiry);
  }
  message->properties = std::move(publish.properties);
  message->properties.message_expiry_interval.reset();
  message->properties.topic_alias.reset();
  message->properties.subscription_identifiers.clear();
  return message;
}

}  // namespace ferry::gateway
