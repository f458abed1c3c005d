// The subscription trie: topic filters stored level by level, matched against a PUBLISH
// topic name to find every subscriber (and one member of every shared group) [MQTT 4.7,
// 4.8.2]. std only; no locks (the owner serialises writers, readers may run in parallel).
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::broker {

/// Who subscribed: a session living on a shard.
struct SubscriberKey {
  std::uint32_t shard = 0;
  std::uint64_t session = 0;  // globally unique session id
  auto operator<=>(const SubscriberKey&) const = default;
};

/// Subscription Options byte plus the Subscription Identifier [MQTT-3.8.3, 3.8.2.1.2].
struct SubscriptionOptions {
  std::uint8_t qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  std::uint8_t retain_handling = 0;
  std::uint32_t subscription_id = 0;  // 0 = none
};

/// One per subscriber per message, after merging overlapping subscriptions.
struct Delivery {
  SubscriberKey who;
  std::uint8_t qos = 0;  // max granted QoS over the subscriber's matching filters [MQTT-3.3.5-1]
  bool retain_as_published = false;             // true if any matching subscription has it
  std::vector<std::uint32_t> subscription_ids;  // all non-zero ids of matching subscriptions
};

/// Topic filters -> subscribers. Children of a node are found by hashing the level
/// (heterogeneous lookup, no allocation); '+' and '#' children are separate pointers.
/// A node's subscribers are a vector sorted by SubscriberKey, so the 1 -> 10 000 fan-out
/// of a single matching node is one linear copy. There is no index from subscriber to
/// filters: a subscriber's owner (the session) knows its subscriptions and removes each.
///
/// Threading: writers (subscribe/unsubscribe) need exclusive access; `match` is const and
/// may run on several threads at once while no writer runs.
class SubscriptionTrie {
 public:
  SubscriptionTrie();
  ~SubscriptionTrie();
  SubscriptionTrie(SubscriptionTrie&&) noexcept;
  SubscriptionTrie& operator=(SubscriptionTrie&&) noexcept;
  SubscriptionTrie(const SubscriptionTrie&) = delete;
  SubscriptionTrie& operator=(const SubscriptionTrie&) = delete;

  /// Adds or replaces (same filter, same subscriber, same share group) [MQTT-3.8.4-3].
  /// `share_group` is empty for a normal subscription, else the $share group name;
  /// `filter` is the plain filter (without "$share/group/"), assumed valid.
  /// Returns true if it was new, false if it replaced an existing one.
  bool subscribe(std::string_view filter, std::string_view share_group, SubscriberKey who,
                 const SubscriptionOptions& options);

  /// Removes one subscription and any nodes left empty. Returns true if it existed.
  bool unsubscribe(std::string_view filter, std::string_view share_group, SubscriberKey who);

  /// Appends one Delivery per matching non-shared subscriber to `out`, merged over all of
  /// its matching filters, skipping No Local subscriptions of `publisher` [MQTT-3.8.3-3].
  /// Then, for each matching shared subscription (filter + group), appends one Delivery for
  /// exactly one member, chosen round-robin [MQTT 4.8.2]. Shared deliveries are not merged
  /// with non-shared ones: a client with both receives two copies, as 4.8.2 describes.
  /// Allocation-free apart from growing `out` and the deliveries' subscription_ids.
  void match(std::string_view topic, std::optional<SubscriberKey> publisher,
             std::vector<Delivery>& out) const;

  /// Number of subscriptions (shared members included).
  std::size_t size() const { return count_; }

  /// Number of trie nodes including the root (diagnostics and tests).
  std::size_t node_count() const;

 private:
  struct Node;
  struct Group;

  Node* find_or_create(std::string_view filter);
  Node* find(std::string_view filter);
  bool remove_entry(Node& node, std::string_view group, SubscriberKey who);
  void prune(Node* node);
  void match_many(std::string_view topic, std::optional<SubscriberKey> publisher,
                  std::vector<Delivery>& out) const;
  void match_shared(std::string_view topic, std::optional<SubscriberKey> publisher,
                    std::vector<Delivery>& out) const;
  template <typename Visit>
  static void visit_matches(const Node& node, std::string_view topic, std::size_t pos, bool at_root,
                            Visit& visit);

  std::unique_ptr<Node> root_;
  std::size_t count_ = 0;
};

}  // namespace ferry::broker
