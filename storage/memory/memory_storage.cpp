#include "storage/memory/memory_storage.hpp"

namespace ferry::storage {

bool MemoryStorage::put_session(const SessionRecord& session) {
  std::lock_guard lock(mutex_);
  sessions_[session.client_id] = session;
  return true;
}

bool MemoryStorage::erase_session(const std::string& client_id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(client_id);
  auto first = subscriptions_.lower_bound({client_id, std::string()});
  auto last = first;
  while (last != subscriptions_.end() && last->first.first == client_id) {
    ++last;
  }
  subscriptions_.erase(first, last);
  return true;
}

bool MemoryStorage::put_subscription(const SubscriptionRecord& subscription) {
  std::lock_guard lock(mutex_);
  subscriptions_[{subscription.client_id, subscription.filter}] = subscription;
  return true;
}

bool MemoryStorage::erase_subscription(const std::string& client_id, const std::string& filter) {
  std::lock_guard lock(mutex_);
  subscriptions_.erase({client_id, filter});
  return true;
}

bool MemoryStorage::put_retained(const mqtt::MessagePtr& message) {
  std::lock_guard lock(mutex_);
  if (message->payload_size() == 0) {
    retained_.erase(message->topic);
  } else {
    retained_[message->topic] = message;
  }
  return true;
}

void MemoryStorage::restore(const Visitor& visitor) {
  std::lock_guard lock(mutex_);
  for (const auto& [id, session] : sessions_) {
    if (visitor.session) {
      visitor.session(SessionRecord(session));
    }
  }
  for (const auto& [key, subscription] : subscriptions_) {
    if (visitor.subscription) {
      visitor.subscription(SubscriptionRecord(subscription));
    }
  }
  for (const auto& [topic, message] : retained_) {
    if (visitor.retained) {
      visitor.retained(RetainedRecord{message});
    }
  }
}

}  // namespace ferry::storage
