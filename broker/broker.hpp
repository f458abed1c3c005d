// The broker: shards (one event loop per core), the shared subscription trie, retained
// store and session directory, and publish routing across shards.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/message.hpp"
#include "broker/metrics.hpp"
#include "broker/persistence.hpp"
#include "broker/retained_store.hpp"
#include "broker/subscription_trie.hpp"
#include "broker/topic_levels.hpp"
#include "protocol/mqtt/connection.hpp"

namespace ferry::broker {

class Shard;

struct BrokerOptions {
  unsigned threads = 1;
  mqtt::ConnectionLimits limits;
  bool allow_anonymous = true;
  std::uint32_t max_connections = 100000;
  std::uint32_t max_session_expiry = 0xFFFFFFFF;
};

/// Where a client id's session lives. `moving` while it travels between shards.
struct SessionLocation {
  std::uint32_t shard = 0;
  bool moving = false;  // beside `shard`: 16 bytes, one per client in the directory
  std::uint64_t session = 0;
};

/// A routed message and who matched it, between writing storage rows and sending.
struct RoutePlan {
  MessagePtr message;
  std::vector<Delivery> matches;
  bool stored = false;  // storage rows were written for it (retained, queues)
};

/// What the broker knows of a session for persistence decisions on other shards.
struct SessionInfo {
  std::string client_id;
  bool persistent = false;
};

class Broker {
 public:
  /// `storage` may be null: nothing is persisted (backend = "memory").
  Broker(const BrokerOptions& options, std::unique_ptr<storage::Storage> storage = nullptr,
         SyncPolicy sync = SyncPolicy::ack);
  ~Broker();

  const BrokerOptions& options() const { return options_; }
  Metrics& metrics() { return metrics_; }
  std::size_t shard_count() const { return shards_.size(); }
  Shard& shard(std::size_t i) { return *shards_[i]; }

  /// Starts one thread per shard. Returns at once.
  void start();
  /// Sends v5 clients DISCONNECT 0x8B, closes every connection, stops the shards and
  /// joins their threads. Call from outside the shards.
  void stop();

  // Called from any shard thread.
  Persistence& persistence() { return persistence_; }
  /// Restores sessions, subscriptions, retained and queued messages from storage.
  /// Call once, before start().
  void restore();

  /// plan() then execute() [DESIGN: a PUBLISH, socket to N subscribers].
  void route(const MessagePtr& message, std::uint32_t from_shard);
  /// Retained update, trie match, and storage rows for persistent subscribers.
  RoutePlan plan(const MessagePtr& message, std::uint32_t from_shard);
  /// Delivers a plan: local shard directly, one post per other target shard.
  void execute(const RoutePlan& plan, std::uint32_t from_shard);
  /// `filter` is the plain filter, `group` the share group (empty if none).
  void subscribe(std::string_view filter, std::string_view group, SubscriberKey who,
                 const SubscriptionOptions& options);
  bool unsubscribe(std::string_view filter, std::string_view group, SubscriberKey who);
  /// Removes every subscription of `session` (which lives on shard `shard`).
  void unsubscribe_all(const Session& session, std::uint32_t shard);
  /// Calls `observer(filter, true)` for every plain filter (a "$share/group/" prefix
  /// stripped) that some session subscribes to now, then whenever a filter gains its
  /// first subscriber or `(filter, false)` when it loses its last one. Subscriptions of
  /// session `ignored` do not count. Runs on the subscribing shard's thread, under the
  /// subscription lock: post elsewhere, do not call back. One observer (the gateway's
  /// aggregating bridge, which subscribes upstream to what local sessions want).
  using FilterObserver = std::function<void(const std::string& filter, bool wanted)>;
  void watch_filters(FilterObserver observer, const Session& ignored);
  /// Re-keys a session's subscriptions from shard `from` to `to` in one step.
  void move_subscriptions(const Session& session, std::uint32_t from, std::uint32_t to);
  std::vector<MessagePtr> retained_matching(std::string_view filter);
  std::uint64_t new_session_id() { return next_session_id_.fetch_add(1) + 1; }

  // Session directory (client id -> shard), serialised by one mutex; used at CONNECT
  // and session end only.
  /// Returns the existing location of `client_id`, marking it `moving` when it lives on
  /// another shard than `proposed`; or records `proposed` and sets `inserted`.
  SessionLocation claim_session(const std::string& client_id, SessionLocation proposed,
                                bool& inserted);
  void set_session(const std::string& client_id, SessionLocation location);
  void erase_session(const std::string& client_id, std::uint64_t session);
  void set_session_info(std::uint64_t session, SessionInfo info);

 private:
  bool persist_rows(const RoutePlan& plan);
  void count_filter(std::string_view filter, std::uint64_t session, int delta);

  BrokerOptions options_;
  Metrics metrics_;
  std::vector<std::unique_ptr<Shard>> shards_;

  std::shared_mutex trie_mutex_;
  SubscriptionTrie trie_;
  // Subscribers per plain filter, for the filter observer (under trie_mutex_).
  std::unordered_map<std::string, std::size_t, levels::StringHash, std::equal_to<>> filter_counts_;
  FilterObserver filter_observer_;
  std::uint64_t observer_ignores_ = 0;
  std::mutex retained_mutex_;
  RetainedStore retained_;
  std::mutex directory_mutex_;
  std::unordered_map<std::string, SessionLocation> directory_;
  std::unordered_map<std::uint64_t, SessionInfo> session_info_;  // persistent sessions only
  Persistence persistence_;
  std::atomic<std::uint64_t> next_session_id_{0};
  std::atomic<bool> stopped_{false};
};

}  // namespace ferry::broker
