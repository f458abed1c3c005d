// Helpers shared by the broker unit tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "broker/subscription_trie.hpp"

namespace ferry::broker::test {

inline SubscriberKey key(std::uint64_t session, std::uint32_t shard = 0) {
  return SubscriberKey{shard, session};
}

inline SubscriptionOptions qos(std::uint8_t level, std::uint32_t id = 0) {
  SubscriptionOptions options;
  options.qos = level;
  options.subscription_id = id;
  return options;
}

inline std::vector<Delivery> match(const SubscriptionTrie& trie, std::string_view topic,
                                   std::optional<SubscriberKey> publisher = std::nullopt) {
  std::vector<Delivery> out;
  trie.match(topic, publisher, out);
  return out;
}

}  // namespace ferry::broker::test
