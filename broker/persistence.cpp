#include "broker/persistence.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

namespace ferry::broker {

Persistence::Persistence(std::unique_ptr<storage::Storage> storage, SyncPolicy sync)
    : storage_(std::move(storage)), sync_(sync) {}

bool Persistence::healthy() {
  bool ok = !storage_ || storage_->healthy();
  if (ok == !failing_.load(std::memory_order_relaxed)) {
    return ok;  // no change: no write to a line every shard reads on every publish
  }
  if (!ok && !failing_.exchange(true)) {
    spdlog::error("storage cannot write ({}): QoS 1/2 publishes are refused until it can",
                  storage_->last_error());
  } else if (ok && failing_.exchange(false)) {
    spdlog::info("storage writes again: QoS 1/2 publishes are accepted");
  }
  return ok;
}

void Persistence::save_session(const Session& session, bool online) {
  if (!storage_ || !persistent(session)) {
    return;
  }
  storage::SessionRecord record;
  record.client_id = session.client_id;
  record.version = session.version;
  record.expiry_interval = session.expiry_interval;
  if (session.will) {
    record.will = *session.will;
  }
  record.will_delay = session.will_delay;
  if (!online) {
    record.disconnected_at = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
  }
  storage_->put_session(record);
}

void Persistence::save_subscriptions(const Session& session) {
  for (const Subscription& subscription : session.subscriptions) {
    save_subscription(session, subscription.filter, subscription.options);
  }
}

void Persistence::erase_session(const std::string& client_id) {
  if (storage_) {
    storage_->erase_session(client_id);
  }
}

void Persistence::save_subscription(const Session& session, std::string_view filter,
                                    const SubscriptionOptions& options) {
  if (!storage_ || !persistent(session)) {
    return;
  }
  storage::SubscriptionRecord record;
  record.client_id = session.client_id;
  record.filter = std::string(filter);
  record.options.filter = record.filter;
  record.options.qos = options.qos;
  record.options.no_local = options.no_local;
  record.options.retain_as_published = options.retain_as_published;
  record.options.retain_handling = options.retain_handling;
  record.subscription_id = options.subscription_id;
  storage_->put_subscription(record);
}

void Persistence::erase_subscription(const Session& session, const std::string& filter) {
  if (storage_ && persistent(session)) {
    storage_->erase_subscription(session.client_id, filter);
  }
}

void Persistence::put_retained(const MessagePtr& message) {
  if (storage_) {
    storage_->put_retained(message);
  }
}

void Persistence::enqueue(const std::string& client_id, const MessagePtr& message,
                          const mqtt::Outgoing& item, bool body_written) {
  if (!storage_ || message->store_id == 0) {
    return;
  }
  if (!body_written) {
    storage_->put_message({message->store_id, message});
  }
  update(client_id, item);
}

void Persistence::update(const std::string& client_id, const mqtt::Outgoing& item) {
  if (!storage_ || item.message->store_id == 0) {
    return;
  }
  storage::QueuedRecord row;
  row.client_id = client_id;
  row.message = item.message->store_id;
  row.qos = item.qos;
  row.retain = item.retain;
  row.subscription_ids = item.subscription_ids;
  row.packet_id = item.packet_id;
  row.released = item.released;
  storage_->enqueue(row);
}

void Persistence::dequeue(const std::string& client_id, const MessagePtr& message) {
  if (storage_ && message->store_id != 0) {
    storage_->dequeue(client_id, message->store_id);
  }
}

void Persistence::put_inbound_qos2(const std::string& client_id, std::uint16_t packet_id) {
  if (storage_) {
    storage_->put_inbound_qos2(client_id, packet_id);
  }
}

void Persistence::erase_inbound_qos2(const std::string& client_id, std::uint16_t packet_id) {
  if (storage_) {
    storage_->erase_inbound_qos2(client_id, packet_id);
  }
}

void Persistence::put_topic(const std::string& client_id, std::uint16_t topic_id,
                            const std::string& topic) {
  if (storage_) {
    storage_->put_topic({client_id, topic_id, topic});
  }
}

void Persistence::erase_topic(const std::string& client_id, std::uint16_t topic_id) {
  if (storage_) {
    storage_->erase_topic(client_id, topic_id);
  }
}

void Persistence::commit(std::function<void(bool)> done) {
  if (!storage_) {
    done(true);
    return;
  }
  storage_->commit(std::move(done));
}

void Persistence::flush() {
  if (storage_) {
    storage_->flush();
  }
}

}  // namespace ferry::broker
