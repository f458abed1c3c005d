#include "storage/memory/memory_storage.hpp"

#include <algorithm>

namespace ferry::storage {
namespace {

template <class Map, class Pred>
void erase_for_client(Map& map, const std::string& client_id, Pred&& on_erase) {
  for (auto it = map.lower_bound({client_id, {}});
       it != map.end() && it->first.first == client_id;) {
    on_erase(it->second);
    it = map.erase(it);
  }
}

}  // namespace

void MemoryStorage::put_session(const SessionRecord& session) {
  std::lock_guard lock(mutex_);
  sessions_[session.client_id] = session;
}

void MemoryStorage::erase_session(const std::string& client_id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(client_id);
  erase_for_client(subscriptions_, client_id, [](auto&) {});
  erase_for_client(queue_order_, client_id, [](auto&) {});
  erase_for_client(queue_, client_id, [&](const QueuedRecord& q) { release_message(q.message); });
  for (auto it = inbound_qos2_.lower_bound({client_id, 0});
       it != inbound_qos2_.end() && it->first == client_id;) {
    it = inbound_qos2_.erase(it);
  }
  erase_for_client(topics_, client_id, [](auto&) {});
}

void MemoryStorage::put_subscription(const SubscriptionRecord& subscription) {
  std::lock_guard lock(mutex_);
  subscriptions_[{subscription.client_id, subscription.filter}] = subscription;
}

void MemoryStorage::erase_subscription(const std::string& client_id, const std::string& filter) {
  std::lock_guard lock(mutex_);
  subscriptions_.erase({client_id, filter});
}

void MemoryStorage::put_retained(const mqtt::MessagePtr& message) {
  std::lock_guard lock(mutex_);
  if (message->payload_size() == 0) {
    retained_.erase(message->topic);
  } else {
    retained_[message->topic] = message;
  }
}

void MemoryStorage::put_message(const MessageRecord& message) {
  std::lock_guard lock(mutex_);
  messages_[message.id] = message.message;
}

void MemoryStorage::enqueue(const QueuedRecord& queued) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = queue_order_.try_emplace({queued.client_id, queued.message}, next_order_);
  if (inserted) {
    ++next_order_;
    ++references_[queued.message];
  }
  queue_[{queued.client_id, it->second}] = queued;
}

void MemoryStorage::dequeue(const std::string& client_id, MessageId message) {
  std::lock_guard lock(mutex_);
  auto it = queue_order_.find({client_id, message});
  if (it == queue_order_.end()) {
    return;
  }
  queue_.erase({client_id, it->second});
  queue_order_.erase(it);
  release_message(message);
}

void MemoryStorage::release_message(MessageId id) {
  auto it = references_.find(id);
  if (it != references_.end() && --it->second == 0) {
    references_.erase(it);
    messages_.erase(id);
  }
}

void MemoryStorage::put_inbound_qos2(const std::string& client_id, std::uint16_t packet_id) {
  std::lock_guard lock(mutex_);
  inbound_qos2_.insert({client_id, packet_id});
}

void MemoryStorage::erase_inbound_qos2(const std::string& client_id, std::uint16_t packet_id) {
  std::lock_guard lock(mutex_);
  inbound_qos2_.erase({client_id, packet_id});
}

void MemoryStorage::put_topic(const TopicRecord& topic) {
  std::lock_guard lock(mutex_);
  topics_[{topic.client_id, topic.topic_id}] = topic;
}

void MemoryStorage::erase_topic(const std::string& client_id, std::uint16_t topic_id) {
  std::lock_guard lock(mutex_);
  topics_.erase({client_id, topic_id});
}

MessageId MemoryStorage::restore(const Visitor& v) {
  std::lock_guard lock(mutex_);
  for (const auto& [id, session] : sessions_) {
    if (v.session) {
      v.session(SessionRecord(session));
    }
  }
  for (const auto& [key, subscription] : subscriptions_) {
    if (v.subscription) {
      v.subscription(SubscriptionRecord(subscription));
    }
  }
  for (const auto& [topic, message] : retained_) {
    if (v.retained) {
      v.retained(mqtt::MessagePtr(message));
    }
  }
  MessageId highest = 0;
  for (const auto& [id, message] : messages_) {
    highest = std::max(highest, id);
    if (v.message) {
      v.message(MessageRecord{id, message});
    }
  }
  for (const auto& [key, queued] : queue_) {
    if (v.queued) {
      v.queued(QueuedRecord(queued));
    }
  }
  for (const auto& [client, packet_id] : inbound_qos2_) {
    if (v.inbound_qos2) {
      v.inbound_qos2(client, packet_id);
    }
  }
  for (const auto& [key, topic] : topics_) {
    if (v.topic) {
      v.topic(TopicRecord(topic));
    }
  }
  return highest;
}

}  // namespace ferry::storage
