// The broker's side of storage: which events to write for sessions, subscriptions,
// retained and queued messages, and whether acknowledgements wait for durability.
// Without a Storage (backend = "memory") every call is a no-op and nothing waits.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "broker/message.hpp"
#include "broker/session.hpp"
#include "storage/storage.hpp"

namespace ferry::broker {

enum class SyncPolicy : std::uint8_t { ack, periodic, off };

class Persistence {
 public:
  Persistence(std::unique_ptr<storage::Storage> storage, SyncPolicy sync);

  bool enabled() const { return storage_ != nullptr; }
  /// QoS >= 1 acknowledgements wait for the commit (sync = "ack").
  bool acks_wait() const { return storage_ && sync_ == SyncPolicy::ack; }
  /// False while the store cannot write (disk full): QoS >= 1 is refused meanwhile.
  /// Logs once when the store fails and once when it recovers.
  bool healthy();
  storage::Storage* storage() { return storage_.get(); }
  std::uint64_t next_message_id() { return next_id_.fetch_add(1) + 1; }
  void continue_after(std::uint64_t highest) { next_id_ = highest; }

  static bool persistent(const Session& s) { return s.expiry_interval != 0; }

  /// While it lives, the events this thread makes are written in one transaction (all
  /// or none survive a crash): see Storage::begin_group().
  class Group {
   public:
    explicit Group(Persistence& persistence) : storage_(persistence.storage()) {
      if (storage_) {
        storage_->begin_group();
      }
    }
    ~Group() {
      if (storage_) {
        storage_->end_group();
      }
    }
    Group(const Group&) = delete;
    Group& operator=(const Group&) = delete;

   private:
    storage::Storage* storage_;
  };

  void save_session(const Session& session, bool online);
  void save_subscriptions(const Session& session);
  void erase_session(const std::string& client_id);
  /// `filter` as the client wrote it (with any "$share/group/" prefix).
  void save_subscription(const Session& session, std::string_view filter,
                         const SubscriptionOptions& options);
  void erase_subscription(const Session& session, const std::string& filter);
  void put_retained(const MessagePtr& message);
  /// Stores `message` (once) and a queue row for a persistent session.
  void enqueue(const std::string& client_id, const MessagePtr& message, const mqtt::Outgoing& item,
               bool body_written);
  void update(const std::string& client_id, const mqtt::Outgoing& item);
  void dequeue(const std::string& client_id, const MessagePtr& message);
  void put_inbound_qos2(const std::string& client_id, std::uint16_t packet_id);
  void erase_inbound_qos2(const std::string& client_id, std::uint16_t packet_id);
  /// MQTT-SN topic ids of a persistent session.
  void put_topic(const std::string& client_id, std::uint16_t topic_id, const std::string& topic);
  void erase_topic(const std::string& client_id, std::uint16_t topic_id);
  /// Runs `done(ok)` once everything written so far is durable; immediately without storage.
  void commit(std::function<void(bool)> done);
  void flush();

 private:
  std::unique_ptr<storage::Storage> storage_;
  SyncPolicy sync_;
  std::atomic<std::uint64_t> next_id_{0};
  std::atomic<bool> failing_{false};
};

}  // namespace ferry::broker
