// Storage kept in memory: for tests and for users who want no disk. restore() replays
// what this instance holds, so a broker rebuilt on the same object sees its state.
#pragma once

#include <map>
#include <mutex>

#include "storage/storage.hpp"

namespace ferry::storage {

class MemoryStorage final : public Storage {
 public:
  bool put_session(const SessionRecord& session) override;
  bool erase_session(const std::string& client_id) override;
  bool put_subscription(const SubscriptionRecord& subscription) override;
  bool erase_subscription(const std::string& client_id, const std::string& filter) override;
  bool put_retained(const mqtt::MessagePtr& message) override;
  bool flush() override { return true; }
  void restore(const Visitor& visitor) override;

 private:
  std::mutex mutex_;
  std::map<std::string, SessionRecord> sessions_;
  std::map<std::pair<std::string, std::string>, SubscriptionRecord> subscriptions_;
  std::map<std::string, mqtt::MessagePtr> retained_;
};

}  // namespace ferry::storage
