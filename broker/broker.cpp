#include "broker/broker.hpp"

#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "broker/shard.hpp"

namespace ferry::broker {

Broker::Broker(const BrokerOptions& options, std::unique_ptr<storage::Storage> storage,
               SyncPolicy sync)
    : options_(options), persistence_(std::move(storage), sync) {
  unsigned threads = options_.threads == 0 ? 1 : options_.threads;
  for (unsigned i = 0; i < threads; ++i) {
    shards_.push_back(std::make_unique<Shard>(*this, i));
  }
}

Broker::~Broker() {
  stop();
}

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
  persistence_.flush();
  const Metrics& m = metrics_;
  spdlog::info(
      "totals: connections={} received={} sent={} dropped: queue_full={} expired={} too_large={} "
      "slow_consumer={}",
      m.connections_accepted.load(), m.messages_received.load(), m.messages_sent.load(),
      m.dropped_queue_full.load(), m.dropped_expired.load(), m.dropped_too_large.load(),
      m.dropped_slow_consumer.load());
}

void Broker::route(const MessagePtr& message, std::uint32_t from_shard) {
  execute(plan(message, from_shard), from_shard);
}

RoutePlan Broker::plan(const MessagePtr& message, std::uint32_t from_shard) {
  bool plan_stored = false;
  if (message->retain) {
    MessagePtr kept = message;
    if (message->store_id != 0) {  // the retained copy lives apart from queued rows
      auto copy = std::make_shared<Message>(*message);
      copy->store_id = 0;
      kept = std::move(copy);
    }
    persistence_.put_retained(kept);
    plan_stored = persistence_.enabled();
    std::lock_guard lock(retained_mutex_);
    retained_.set(kept);  // an empty payload clears [MQTT-3.3.1-6, -7]
  }
  RoutePlan plan{message, {}, plan_stored};
  {
    std::shared_lock lock(trie_mutex_);
    trie_.match(message->topic, SubscriberKey{from_shard, message->origin_session}, plan.matches);
  }
  if (message->store_id != 0 && !plan.matches.empty() && persist_rows(plan)) {
    plan.stored = true;
  }
  return plan;
}

bool Broker::persist_rows(const RoutePlan& plan) {
  bool body_written = false;
  std::lock_guard lock(directory_mutex_);
  for (const Delivery& d : plan.matches) {
    std::uint8_t qos = std::min(plan.message->qos, d.qos);
    auto it = session_info_.find(d.who.session);
    if (qos == 0 || it == session_info_.end() || !it->second.persistent) {
      continue;
    }
    mqtt::Outgoing item{plan.message, qos, d.retain_as_published && plan.message->retain,
                        d.subscription_ids};
    persistence_.enqueue(it->second.client_id, plan.message, item, body_written);
    body_written = true;
  }
  return body_written;
}

void Broker::execute(const RoutePlan& plan, std::uint32_t from_shard) {
  const auto& matches = plan.matches;
  if (matches.empty()) {
    return;
  }
  if (shards_.size() == 1) {
    shards_[0]->deliver(plan.message, matches);
    return;
  }
  std::vector<std::vector<Delivery>> per_shard(shards_.size());
  for (const auto& d : matches) {
    per_shard[d.who.shard].push_back(d);
  }
  for (std::size_t i = 0; i < per_shard.size(); ++i) {
    if (per_shard[i].empty()) {
      continue;
    }
    if (i == from_shard) {
      shards_[i]->deliver(plan.message, per_shard[i]);
      continue;
    }
    auto batch = std::make_shared<std::vector<Delivery>>(std::move(per_shard[i]));
    Shard* target = shards_[i].get();
    MessagePtr message = plan.message;
    target->loop().post([target, message, batch] { target->deliver(message, *batch); });
  }
}

void Broker::subscribe(std::string_view filter, std::string_view group, SubscriberKey who,
                       const SubscriptionOptions& options) {
  std::unique_lock lock(trie_mutex_);
  if (trie_.subscribe(filter, group, who, options)) {
    count_filter(filter, who.session, 1);
  }
}

bool Broker::unsubscribe(std::string_view filter, std::string_view group, SubscriberKey who) {
  std::unique_lock lock(trie_mutex_);
  if (!trie_.unsubscribe(filter, group, who)) {
    return false;
  }
  count_filter(filter, who.session, -1);
  return true;
}

void Broker::move_subscriptions(const Session& session, std::uint32_t from, std::uint32_t to) {
  if (from == to) {
    return;  // re-subscribing would replace them and the unsubscribing then remove them
  }
  std::unique_lock lock(trie_mutex_);
  for (const Subscription& subscription : session.subscriptions) {
    const FilterParts parts = subscription.parts();
    trie_.subscribe(parts.plain, parts.group, {to, session.id}, subscription.options);
    trie_.unsubscribe(parts.plain, parts.group, {from, session.id});
  }
}

void Broker::unsubscribe_all(const Session& session, std::uint32_t shard) {
  std::unique_lock lock(trie_mutex_);
  for (const Subscription& subscription : session.subscriptions) {
    const FilterParts parts = subscription.parts();
    if (trie_.unsubscribe(parts.plain, parts.group, {shard, session.id})) {
      count_filter(parts.plain, session.id, -1);
    }
  }
}

void Broker::watch_filters(FilterObserver observer, const Session& ignored) {
  std::unique_lock lock(trie_mutex_);
  for (const Subscription& subscription : ignored.subscriptions) {
    count_filter(subscription.parts().plain, ignored.id, -1);  // restored before told apart
  }
  filter_observer_ = std::move(observer);
  observer_ignores_ = ignored.id;
  for (const auto& [filter, count] : filter_counts_) {
    filter_observer_(filter, true);
  }
}

void Broker::count_filter(std::string_view filter, std::uint64_t session, int delta) {
  if (session == observer_ignores_ && filter_observer_) {
    return;
  }
  auto it = filter_counts_.find(filter);
  if (delta > 0) {
    if (it == filter_counts_.end()) {
      it = filter_counts_.emplace(std::string(filter), 0).first;
    }
    if (++it->second == 1 && filter_observer_) {
      filter_observer_(it->first, true);
    }
    return;
  }
  if (it != filter_counts_.end() && --it->second == 0) {
    if (filter_observer_) {
      filter_observer_(it->first, false);
    }
    filter_counts_.erase(it);
  }
}

std::vector<MessagePtr> Broker::retained_matching(std::string_view filter) {
  std::vector<MessagePtr> out;
  {
    std::lock_guard lock(retained_mutex_);
    retained_.match(filter, out);
  }
  auto now = Clock::now();
  std::erase_if(out, [&](const MessagePtr& m) { return m->expired(now); });
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

void Broker::set_session_info(std::uint64_t session, SessionInfo info) {
  std::lock_guard lock(directory_mutex_);
  if (info.persistent) {
    session_info_[session] = std::move(info);
  } else {
    session_info_.erase(session);  // only persistent sessions are looked up: no entry
  }
}

void Broker::erase_session(const std::string& client_id, std::uint64_t session) {
  std::lock_guard lock(directory_mutex_);
  session_info_.erase(session);
  auto it = directory_.find(client_id);
  if (it != directory_.end() && it->second.session == session) {
    directory_.erase(it);
  }
}

}  // namespace ferry::broker
