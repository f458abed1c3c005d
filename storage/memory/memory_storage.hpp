// Storage kept in memory: for tests and for users who want no disk. restore() replays
// what this instance holds, so a broker rebuilt on the same object sees its state.
#pragma once

#include <map>
#include <mutex>
#include <set>

#include "storage/storage.hpp"

namespace ferry::storage {

class MemoryStorage final : public Storage {
 public:
  void put_session(const SessionRecord& session) override;
  void erase_session(const std::string& client_id) override;
  void put_subscription(const SubscriptionRecord& subscription) override;
  void erase_subscription(const std::string& client_id, const std::string& filter) override;
  void put_retained(const mqtt::MessagePtr& message) override;
  void put_message(const MessageRecord& message) override;
  void enqueue(const QueuedRecord& queued) override;
  void dequeue(const std::string& client_id, MessageId message) override;
  void put_inbound_qos2(const std::string& client_id, std::uint16_t packet_id) override;
  void erase_inbound_qos2(const std::string& client_id, std::uint16_t packet_id) override;
  void put_topic(const TopicRecord& topic) override;
  void erase_topic(const std::string& client_id, std::uint16_t topic_id) override;
  void commit(std::function<void(bool ok)> done) override { done(true); }
  void flush() override {}
  bool healthy() const override { return true; }
  MessageId restore(const Visitor& visitor) override;

 private:
  void release_message(MessageId id);

  std::mutex mutex_;
  std::map<std::string, SessionRecord> sessions_;
  std::map<std::pair<std::string, std::string>, SubscriptionRecord> subscriptions_;
  std::map<std::string, mqtt::MessagePtr> retained_;
  std::map<MessageId, mqtt::MessagePtr> messages_;
  std::map<MessageId, std::size_t> references_;
  // (client, order) -> row; order keeps enqueue order per client.
  std::map<std::pair<std::string, std::uint64_t>, QueuedRecord> queue_;
  std::map<std::pair<std::string, MessageId>, std::uint64_t> queue_order_;
  std::uint64_t next_order_ = 0;
  std::set<std::pair<std::string, std::uint16_t>> inbound_qos2_;
  std::map<std::pair<std::string, std::uint16_t>, TopicRecord> topics_;
};

}  // namespace ferry::storage
