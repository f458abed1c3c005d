// Every SQL statement of the store, prepared once when the database opens, and the
// writer's application of one event. Internal to storage/sqlite.
#pragma once

#include <cstdint>

#include "storage/sqlite/database.hpp"
#include "storage/sqlite/events.hpp"

namespace ferry::storage::sqlite {

struct Statements {
  explicit Statements(Database& db);

  Statement begin;
  Statement commit;
  Statement rollback;

  Statement put_session;
  Statement erase_session_bodies;  // bodies only this client's queue rows refer to
  Statement erase_session_queue;
  Statement erase_session_subscriptions;
  Statement erase_session_inbound;
  Statement erase_session_topics;
  Statement erase_session;
  Statement put_subscription;
  Statement erase_subscription;
  Statement put_retained;
  Statement erase_retained;
  Statement put_message;
  Statement enqueue;
  Statement dequeue;
  Statement erase_unreferenced_body;
  Statement put_inbound;
  Statement erase_inbound;
  Statement put_topic;
  Statement erase_topic;

  Statement read_sessions;
  Statement read_subscriptions;
  Statement read_retained;
  Statement read_messages;
  Statement read_queue;
  Statement read_inbound;
  Statement read_topics;
  Statement highest_message_id;
  Statement highest_seq;
};

/// Applies one event inside the writer's open transaction. Throws DbError.
class Applier {
 public:
  Applier(Statements& st, const Clocks& clocks, std::int64_t& next_seq)
      : st_(st), clocks_(clocks), next_seq_(next_seq) {}

  void operator()(const PutSession& e);
  void operator()(const EraseSession& e);
  void operator()(const PutSubscription& e);
  void operator()(const EraseSubscription& e);
  void operator()(const PutRetained& e);
  void operator()(const PutMessage& e);
  void operator()(const Enqueue& e);
  void operator()(const Dequeue& e);
  void operator()(const PutInbound& e);
  void operator()(const EraseInbound& e);
  void operator()(const PutTopic& e);
  void operator()(const EraseTopic& e);
  void operator()(const Commit&) {}

 private:
  Statements& st_;
  const Clocks& clocks_;
  std::int64_t& next_seq_;
};

/// Subscription options byte [MQTT 3.8.3.1]: QoS, No Local, Retain As Published,
/// Retain Handling.
std::int64_t pack_options(const mqtt::SubscribeTopic& o);
mqtt::SubscribeTopic unpack_options(std::string filter, std::int64_t bits);

}  // namespace ferry::storage::sqlite
