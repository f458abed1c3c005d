// storage::Storage: the broker's durable state as a stream of events, replayed at start.
// Implementations: memory (tests, no disk) and sqlite. Both pass one contract suite
// (tests/unit/storage).
//
// Threading: every method may be called from any shard thread; an implementation
// serialises internally (the SQLite one queues events for its own storage thread and
// writes them in batched transactions, i.e. group commit). Events from one thread are
// applied in the order they were made.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "protocol/mqtt/message.hpp"
#include "protocol/mqtt/packet.hpp"

namespace ferry::storage {

/// Broker-assigned message number, unique for the life of a data directory (restore
/// reports the highest seen so the broker continues after it).
using MessageId = std::uint64_t;

struct SessionRecord {
  std::string client_id;
  mqtt::Version version = mqtt::Version::v5;
  std::uint32_t expiry_interval = 0;  // seconds after disconnect; 0xFFFFFFFF = never
  std::optional<mqtt::Will> will;
  std::uint32_t will_delay = 0;
  /// Wall-clock seconds (Unix time) when the session went offline; 0 while online. The
  /// broker counts downtime against expiry with it after a restart.
  std::int64_t disconnected_at = 0;
};

struct SubscriptionRecord {
  std::string client_id;
  std::string filter;  // as subscribed, including any "$share/group/" prefix
  mqtt::SubscribeTopic options;
  std::uint32_t subscription_id = 0;
};

/// A message waiting for, or in flight to, one persistent session.
struct QueuedRecord {
  std::string client_id;
  MessageId message = 0;
  std::uint8_t qos = 1;  // granted QoS for this session
  bool retain = false;   // retain flag as it will be sent
  std::vector<std::uint32_t> subscription_ids;
  std::uint16_t packet_id = 0;  // 0 = not sent yet (queued)
  bool released = false;        // QoS 2: PUBREC received, PUBREL sent
};

/// One MQTT-SN topic id a client registered (or the gateway registered for it and the
/// client accepted) [MQTT-SN 6.5]; valid for the client's session.
struct TopicRecord {
  std::string client_id;
  std::uint16_t topic_id = 0;
  std::string topic;
};

/// An application message with its id. Message expiry is stored as wall-clock time by
/// the implementation, converted back to steady_clock at restore.
struct MessageRecord {
  MessageId id = 0;
  mqtt::MessagePtr message;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Sessions and subscriptions.
  /// Creates or replaces a session row.
  virtual void put_session(const SessionRecord& session) = 0;
  /// Removes a session and all it owns: subscriptions, queued messages, inbound QoS 2 ids,
  /// MQTT-SN topic ids.
  virtual void erase_session(const std::string& client_id) = 0;
  virtual void put_subscription(const SubscriptionRecord& subscription) = 0;
  virtual void erase_subscription(const std::string& client_id, const std::string& filter) = 0;

  // Retained messages.
  /// Stores the retained message of message->topic; an empty payload erases it.
  virtual void put_retained(const mqtt::MessagePtr& message) = 0;

  // Messages for persistent sessions.
  /// Stores a message body once; queue rows refer to it by id.
  virtual void put_message(const MessageRecord& message) = 0;
  /// Adds (or replaces, same client and message) a queue row.
  virtual void enqueue(const QueuedRecord& queued) = 0;
  /// Removes a queue row (acknowledged, expired or dropped). A message body that no
  /// queue row refers to any more is deleted.
  virtual void dequeue(const std::string& client_id, MessageId message) = 0;

  // Inbound QoS 2: PUBREC sent, PUBREL not yet received [MQTT-4.3.3].
  virtual void put_inbound_qos2(const std::string& client_id, std::uint16_t packet_id) = 0;
  virtual void erase_inbound_qos2(const std::string& client_id, std::uint16_t packet_id) = 0;

  // MQTT-SN topic ids.
  /// Adds or replaces (same client and topic id) a registration.
  virtual void put_topic(const TopicRecord& topic) = 0;
  virtual void erase_topic(const std::string& client_id, std::uint16_t topic_id) = 0;

  // Atomic groups.
  /// Events this thread makes from begin_group() to end_group() become durable together
  /// (one transaction): after a crash all of them are restored, or none. Groups do not
  /// nest; a commit() inside a group waits for the whole group. The broker uses it for
  /// an inbound QoS 2 packet id and the rows of its message: the id alone would make the
  /// publisher's resend look like a duplicate, and the message would be lost.
  virtual void begin_group() {}
  virtual void end_group() {}

  // Durability.
  /// Calls `done(true)` once every event made before this call (by any thread) is
  /// durable under the configured sync policy, or `done(false)` if it could not be
  /// written (disk full, I/O error). `done` runs on the storage thread (memory:
  /// immediately, on the caller's thread); it must be quick and may post elsewhere.
  virtual void commit(std::function<void(bool ok)> done) = 0;
  /// Blocks until everything submitted so far is written (shutdown, tests).
  virtual void flush() = 0;
  /// False after a write failed and until a later commit succeeds again (disk full).
  virtual bool healthy() const = 0;
  /// Why the last write failed, for the log; empty when nothing failed.
  virtual std::string last_error() const { return {}; }

  struct Visitor {
    std::function<void(SessionRecord&&)> session;
    std::function<void(SubscriptionRecord&&)> subscription;
    std::function<void(mqtt::MessagePtr&&)> retained;
    std::function<void(MessageRecord&&)> message;  // before any queue row that uses it
    std::function<void(QueuedRecord&&)> queued;    // per client in enqueue order
    std::function<void(const std::string& client_id, std::uint16_t packet_id)> inbound_qos2;
    std::function<void(TopicRecord&&)> topic;  // per client in topic id order
  };
  /// Replays the stored state: sessions, then subscriptions, retained messages, message
  /// bodies, queue rows, inbound QoS 2 ids and MQTT-SN topic ids; a null visitor member
  /// skips its kind. Returns the highest MessageId stored.
  /// Called once at start, before any other call.
  virtual MessageId restore(const Visitor& visitor) = 0;
};

}  // namespace ferry::storage
