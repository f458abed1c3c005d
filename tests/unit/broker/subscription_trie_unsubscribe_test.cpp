// Removing subscriptions from the trie. It keeps no index from subscriber to filters: the
// session that owns the subscriptions removes each (filter, group) it holds, at session
// end or when it moves to another shard.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "broker/subscription_trie.hpp"
#include "tests/unit/broker/broker_test_util.hpp"

namespace ferry::broker {
namespace {

using test::key;
using test::match;
using test::qos;

/// (plain filter, share group), as a session's subscriptions yield them.
struct Owned {
  std::string filter;
  std::string group;
};

void subscribe_all(SubscriptionTrie& trie, const std::vector<Owned>& owned, SubscriberKey who,
                   std::uint8_t level = 0) {
  for (const Owned& o : owned) {
    trie.subscribe(o.filter, o.group, who, qos(level));
  }
}

std::size_t unsubscribe_all(SubscriptionTrie& trie, const std::vector<Owned>& owned,
                            SubscriberKey who) {
  std::size_t removed = 0;
  for (const Owned& o : owned) {
    removed += trie.unsubscribe(o.filter, o.group, who) ? 1 : 0;
  }
  return removed;
}

}  // namespace

TEST_CASE("trie unsubscribe: a subscriber's own list removes it everywhere", "[trie]") {
  SubscriptionTrie trie;
  const std::vector<Owned> first{{"a/b", ""}, {"a/#", ""}, {"#", ""}, {"a/b", "g"}};
  const std::vector<Owned> second{{"a/b", ""}, {"a/b", "g"}};
  subscribe_all(trie, first, key(1));
  subscribe_all(trie, second, key(2));
  REQUIRE(trie.size() == 6);

  CHECK(unsubscribe_all(trie, first, key(1)) == 4);
  CHECK(trie.size() == 2);
  CHECK(unsubscribe_all(trie, first, key(1)) == 0);
  CHECK(trie.node_count() == 3);  // root, a, b: "#" and "a/#" pruned
  for (int i = 0; i < 3; ++i) {   // the group now has one member, picked every time
    const auto out = match(trie, "a/b");
    REQUIRE(out.size() == 2);
    CHECK(out[0].who == key(2));
    CHECK(out[1].who == key(2));
  }
  CHECK(match(trie, "a/c").empty());
  CHECK(unsubscribe_all(trie, second, key(2)) == 2);
  CHECK(trie.node_count() == 1);
  CHECK(trie.size() == 0);
}

TEST_CASE("trie unsubscribe: shared and normal on one filter go separately", "[trie]") {
  SubscriptionTrie trie;
  trie.subscribe("s/t", "", key(1), qos(1));
  trie.subscribe("s/t", "g", key(1), qos(2));
  REQUIRE(trie.size() == 2);
  REQUIRE(match(trie, "s/t").size() == 2);  // one copy each [MQTT 4.8.2]

  CHECK(trie.unsubscribe("s/t", "g", key(1)));
  auto out = match(trie, "s/t");
  REQUIRE(out.size() == 1);
  CHECK(out[0].qos == 1);  // the normal one is left
  CHECK(trie.node_count() == 3);
  CHECK_FALSE(trie.unsubscribe("s/t", "g", key(1)));

  trie.subscribe("s/t", "g", key(1), qos(2));
  CHECK(trie.unsubscribe("s/t", "", key(1)));
  out = match(trie, "s/t");
  REQUIRE(out.size() == 1);
  CHECK(out[0].qos == 2);  // now only the shared one
  CHECK(trie.unsubscribe("s/t", "g", key(1)));
  CHECK(trie.node_count() == 1);
  CHECK(trie.size() == 0);
}

TEST_CASE("trie unsubscribe: moving a subscriber to another shard", "[trie]") {
  SubscriptionTrie trie;
  const std::vector<Owned> owned{{"m/+", ""}, {"m/+", "g"}, {"m/#", ""}};
  subscribe_all(trie, owned, key(5, 0), 1);
  trie.subscribe("m/+", "g", key(6, 0), qos(0));
  const std::size_t nodes = trie.node_count();

  // As Broker::move_subscriptions: the new key first, then the old one goes, per filter.
  for (const Owned& o : owned) {
    trie.subscribe(o.filter, o.group, key(5, 1), qos(1));
    CHECK(trie.unsubscribe(o.filter, o.group, key(5, 0)));
  }
  CHECK(trie.size() == 4);
  CHECK(trie.node_count() == nodes);
  for (int i = 0; i < 4; ++i) {  // both group members still take turns
    const auto out = match(trie, "m/x");
    REQUIRE(out.size() == 2);
    CHECK(out[0].who == key(5, 1));  // "m/+" and "m/#" merged into one delivery
    CHECK((out[1].who == key(5, 1) || out[1].who == key(6, 0)));
  }
  CHECK(unsubscribe_all(trie, owned, key(5, 0)) == 0);  // the old shard's key is gone
  CHECK(unsubscribe_all(trie, owned, key(5, 1)) == 3);
  const auto out = match(trie, "m/x");
  REQUIRE(out.size() == 1);
  CHECK(out[0].who == key(6, 0));
}

}  // namespace ferry::broker
