// The broker: shards (one event loop per core), the shared subscription trie, retained
// store and session directory, and publish routing across shards.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/message.hpp"
#include "broker/metrics.hpp"
#include "broker/retained_store.hpp"
#include "broker/subscription_trie.hpp"
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
  std::uint64_t session = 0;
  bool moving = false;
};

class Broker {
 public:
  explicit Broker(const BrokerOptions& options);
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
  /// Retained update, trie match and one post per target shard [DESIGN: a PUBLISH].
  void route(const MessagePtr& message, std::uint32_t from_shard);
  void subscribe(const std::string& filter, const std::string& group, SubscriberKey who,
                 const SubscriptionOptions& options);
  bool unsubscribe(const std::string& filter, const std::string& group, SubscriberKey who);
  void unsubscribe_all(SubscriberKey who);
  std::vector<MessagePtr> retained_matching(const std::string& filter);
  std::uint64_t new_session_id() { return next_session_id_.fetch_add(1) + 1; }

  // Session directory (client id -> shard), serialised by one mutex; used at CONNECT
  // and session end only.
  /// Returns the existing location of `client_id`, marking it `moving` when it lives on
  /// another shard than `proposed`; or records `proposed` and sets `inserted`.
  SessionLocation claim_session(const std::string& client_id, SessionLocation proposed,
                                bool& inserted);
  void set_session(const std::string& client_id, SessionLocation location);
  void erase_session(const std::string& client_id, std::uint64_t session);

 private:
  BrokerOptions options_;
  Metrics metrics_;
  std::vector<std::unique_ptr<Shard>> shards_;

  std::shared_mutex trie_mutex_;
  SubscriptionTrie trie_;
  std::mutex retained_mutex_;
  RetainedStore retained_;
  std::mutex directory_mutex_;
  std::unordered_map<std::string, SessionLocation> directory_;
  std::atomic<std::uint64_t> next_session_id_{0};
  std::atomic<bool> stopped_{false};
};

}  // namespace ferry::broker
