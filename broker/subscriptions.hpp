// A session's subscriptions [MQTT 3.8]: one string per subscription, the filter as the
// client wrote it, with the plain filter and share group derived from it on demand.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "broker/subscription_trie.hpp"

namespace ferry::broker {

/// A filter as written, split into what the trie keys a subscription by: the plain filter
/// (no "$share/group/" prefix) and the share group (empty for a normal subscription).
/// Both view the written filter.
struct FilterParts {
  std::string_view plain;
  std::string_view group;
};

/// "$share/g/a/b" -> {"a/b", "g"}; "a/b" -> {"a/b", ""}. A "$share/" filter that is not a
/// valid shared one [MQTT 4.8.2] is taken as plain (SUBSCRIBE refuses those anyway).
FilterParts split_filter(std::string_view written);

struct Subscription {
  std::string filter;  // as the client wrote it: "a/b" or "$share/g/a/b"
  SubscriptionOptions options;

  FilterParts parts() const { return split_filter(filter); }
};

/// A flat vector sorted by written filter: most sessions hold one to three subscriptions,
/// so lookups are a binary search over a few elements and an empty one allocates nothing.
class Subscriptions {
 public:
  using const_iterator = std::vector<Subscription>::const_iterator;

  /// The subscription to `filter` (as written), or null.
  const Subscription* find(std::string_view filter) const;
  bool contains(std::string_view filter) const { return find(filter) != nullptr; }
  /// Adds a subscription, or replaces the options of the one to the same filter
  /// [MQTT-3.8.4-3]. Returns true if it existed.
  bool put(std::string_view filter, const SubscriptionOptions& options);
  /// Removes the subscription to `filter`; true if it existed.
  bool erase(std::string_view filter);

  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }

 private:
  std::vector<Subscription> items_;
};

}  // namespace ferry::broker
