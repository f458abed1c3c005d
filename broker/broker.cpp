#include "broker/broker.hpp"

#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "broker/shard.hpp"

namespace ferry::broker {

Broker::Broker(const BrokerOptions& options) : options_(options) {
  unsigned threads = options_.threads == 0 ? 1 : options_.threads;
  for (unsigned i = 0; i < threads; ++i) {
    shards_.push_back(std::make_unique<Shard>(*this, i));
  }
}

Broker::~Broker() { stop(); }

void Broker::start() {
  for (auto& shard : shards_) {
    shard->start_thread();
  }
}

void Broker::stop() {
  if (stopped_.exchange(true)) {
    return;
  }
  for (auto& shard : shards_) {
    Shard* s = shard.get();
    s->loop().post([s] { s->disconnect_all(mqtt::Reason::server_shutting_down); });
  }
  // Give the DISCONNECTs a moment to reach the clients, then stop the loops.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (metrics_.connections_current.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& shard : shards_) {
    shard->loop().stop();
  }
  for (auto& shard : shards_) {
    shard->join();
  }
  const Metrics& m = metrics_;
  spdlog::info(
      "totals: connections={} received={} sent={} dropped: queue_full={} expired={} too_large={} "
      "slow_consumer={}",
      m.connections_accepted.load(), m.messages_received.load(), m.messages_sent.load(),
      m.dropped_queue_full.load(), m.dropped_expired.load(), m.dropped_too_large.load(),
      m.dropped_slow_consumer.load());
}

void Broker::route(const MessagePtr& message, std::uint32_t from_shard) {
  if (message->retain) {
    std::lock_guard lock(retained_mutex_);
    retained_.set(message);  // an empty payload clears [MQTT-3.3.1-6, -7]
  }
  thread_local std::vector<Delivery> matches;
  matches.clear();
  {
    std::shared_lock lock(trie_mutex_);
    trie_.match(message->topic, SubscriberKey{from_shard, message->origin_session}, matches);
  }
  if (matches.empty()) {
    return;
  }
  if (shards_.size() == 1) {
    shards_[0]->deliver(message, matches);
    return;
  }
  std::vector<std::vector<Delivery>> per_shard(shards_.size());
  for (auto& d : matches) {
    per_shard[d.who.shard].push_back(std::move(d));
  }
  for (std::size_t i = 0; i < per_shard.size(); ++i) {
    if (per_shard[i].empty()) {
      continue;
    }
    if (i == from_shard) {
      shards_[i]->deliver(message, per_shard[i]);
      continue;
    }
    auto batch = std::make_shared<std::vector<Delivery>>(std::move(per_shard[i]));
    Shard* target = shards_[i].get();
    target->loop().post([target, message, batch] { target->deliver(message, *batch); });
  }
}

void Broker::subscribe(const std::string& filter, const std::string& group, SubscriberKey who,
                       const SubscriptionOptions& options) {
  std::unique_lock lock(trie_mutex_);
  trie_.subscribe(filter, group, who, options);
}

bool Broker::unsubscribe(const std::string& filter, const std::string& group, SubscriberKey who) {
  std::unique_lock lock(trie_mutex_);
  return trie_.unsubscribe(filter, group, who);
}

void Broker::unsubscribe_all(SubscriberKey who) {
  std::unique_lock lock(trie_mutex_);
  trie_.unsubscribe_all(who);
}

std::vector<MessagePtr> Broker::retained_matching(const std::string& filter) {
  std::vector<MessagePtr> out;
  std::lock_guard lock(retained_mutex_);
  retained_.match(filter, out);
  return out;
}

SessionLocation Broker::claim_session(const std::string& client_id, SessionLocation proposed,
                                      bool& inserted) {
  std::lock_guard lock(directory_mutex_);
  auto [it, is_new] = directory_.try_emplace(client_id, proposed);
  inserted = is_new;
  SessionLocation found = it->second;
  if (!is_new && !found.moving && found.shard != proposed.shard) {
    it->second.moving = true;
  }
  return found;
}

void Broker::set_session(const std::string& client_id, SessionLocation location) {
  std::lock_guard lock(directory_mutex_);
  directory_[client_id] = location;
}

void Broker::erase_session(const std::string& client_id, std::uint64_t session) {
  std::lock_guard lock(directory_mutex_);
  auto it = directory_.find(client_id);
  if (it != directory_.end() && it->second.session == session) {
    directory_.erase(it);
  }
}

}  // namespace ferry::broker
