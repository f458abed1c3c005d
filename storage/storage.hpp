// storage::Storage: the broker's durable state as a stream of events, replayed at start.
// Implementations: memory (tests, no disk) and sqlite (issue 4).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "protocol/mqtt/message.hpp"
#include "protocol/mqtt/packet.hpp"

namespace ferry::storage {

struct SessionRecord {
  std::string client_id;
  mqtt::Version version = mqtt::Version::v5;
  std::uint32_t expiry_interval = 0;  // seconds; 0xFFFFFFFF = never
  std::optional<mqtt::Will> will;
  std::uint32_t will_delay = 0;
};

struct SubscriptionRecord {
  std::string client_id;
  std::string filter;  // as subscribed, including any "$share/group/" prefix
  mqtt::SubscribeTopic options;
  std::uint32_t subscription_id = 0;
};

struct RetainedRecord {
  mqtt::MessagePtr message;
};

/// Every call is made from the storage thread or under the caller's own ordering; an
/// implementation may batch writes until flush(). Errors are reported through the
/// returned bool (false = not stored), never by throwing on the hot path.
class Storage {
 public:
  virtual ~Storage() = default;

  /// Creates or replaces a session row.
  virtual bool put_session(const SessionRecord& session) = 0;
  /// Removes a session and everything it owns (subscriptions, queue).
  virtual bool erase_session(const std::string& client_id) = 0;
  virtual bool put_subscription(const SubscriptionRecord& subscription) = 0;
  virtual bool erase_subscription(const std::string& client_id, const std::string& filter) = 0;
  /// Stores the retained message of message->topic; an empty payload erases it.
  virtual bool put_retained(const mqtt::MessagePtr& message) = 0;
  /// Makes everything written so far durable. Returns false on failure.
  virtual bool flush() = 0;

  struct Visitor {
    std::function<void(SessionRecord&&)> session;
    std::function<void(SubscriptionRecord&&)> subscription;
    std::function<void(RetainedRecord&&)> retained;
  };
  /// Replays the stored state, sessions before their subscriptions. Called once at start.
  virtual void restore(const Visitor& visitor) = 0;
};

}  // namespace ferry::storage
