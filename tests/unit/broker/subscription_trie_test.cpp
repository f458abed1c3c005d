#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "broker/subscription_trie.hpp"
#include "tests/unit/broker/broker_test_util.hpp"

namespace ferry::broker {
namespace {

using test::key;
using test::match;
using test::qos;

bool one_filter_matches(std::string_view filter, std::string_view topic) {
  SubscriptionTrie trie;
  trie.subscribe(filter, "", key(1), qos(0));
  return !match(trie, topic).empty();
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> levels;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = text.find('/', start);
    levels.push_back(text.substr(start, slash - start));
    if (slash == std::string::npos) {
      return levels;
    }
    start = slash + 1;
  }
}

/// Independent, obviously-correct matcher to cross-check the trie against.
bool reference_matches(const std::string& filter, const std::string& topic) {
  if (!topic.empty() && topic[0] == '$' && (filter[0] == '+' || filter[0] == '#')) {
    return false;
  }
  const auto f = split(filter);
  const auto t = split(topic);
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] == "#") {
      return true;
    }
    if (i >= t.size() || (f[i] != "+" && f[i] != t[i])) {
      return false;
    }
  }
  return f.size() == t.size();
}

struct Row {
  const char* filter;
  const char* topic;
  bool expect;
};

}  // namespace

TEST_CASE("trie: filter/topic matching table", "[trie]") {
  const Row rows[] = {
      {"a/b", "a/b", true},
      {"a/b", "a/c", false},
      {"a/b", "a/b/c", false},
      {"a/b/c", "a/b", false},
      {"A/b", "a/b", false},
      {"a/+", "a/b", true},
      {"a/+", "a/b/c", false},
      {"a/+", "a", false},
      {"a/+", "a/", true},  // '+' matches an empty level
      {"a/b/+", "a/b/", true},
      {"a/b", "a/b/", false},
      {"+", "a", true},
      {"+", "/a", false},
      {"+/+", "/a", true},
      {"+/+", "a/", true},
      {"/+", "/a", true},
      {"+/+/+", "a/b/c", true},
      {"+/+/+", "a/b", false},
      {"a/+/c", "a//c", true},
      {"a//c", "a//c", true},
      {"a//c", "a/b/c", false},
      {"#", "a/b/c", true},
      {"#", "/", true},
      {"#", "a", true},
      {"a/#", "a", true},  // '#' matches the parent level
      {"a/#", "a/b/c", true},
      {"a/#", "a/", true},
      {"a/#", "ab", false},
      {"a/#", "b/a", false},
      {"sport/tennis/#", "sport/tennis", true},
      {"+/#", "a", true},
      {"a/+/#", "a/b", true},
      {"a/+/#", "a", false},
      {"/#", "/a", true},
      {"/#", "a", false},
      {"#", "$SYS/x", false},  // [MQTT-4.7.2-1]
      {"#", "$SYS", false},
      {"+", "$SYS", false},
      {"+/x", "$SYS/x", false},
      {"+/#", "$SYS/x", false},
      {"$SYS/#", "$SYS/broker/load", true},
      {"$SYS/#", "$SYS", true},
      {"$SYS/+", "$SYS/uptime", true},
      {"$SYS/+/load", "$SYS/broker/load", true},
      {"a/$x", "a/$x", true},
      {"+/$x", "b/$x", true},
      {"a/+", "a/$x", true},  // '$' only matters at the first level
      {"a/#", "a/$x/y", true},
  };
  for (const Row& row : rows) {
    INFO("filter '" << row.filter << "' topic '" << row.topic << "'");
    CHECK(one_filter_matches(row.filter, row.topic) == row.expect);
    CHECK(reference_matches(row.filter, row.topic) == row.expect);
  }
}

TEST_CASE("trie: random filters agree with a reference matcher, merged", "[trie]") {
  const std::vector<std::string> parts = {"a", "b", "", "$s", "+", "#"};
  std::mt19937 rng(42);
  auto random_path = [&](bool wildcards) {
    std::string path;
    const int depth = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < depth; ++i) {
      std::string level = parts[rng() % (wildcards ? parts.size() : parts.size() - 2)];
      if (level == "#" && i != depth - 1) {
        level = "+";
      }
      path += (i == 0 ? "" : "/") + level;
    }
    return path;
  };
  struct Sub {
    std::string filter;
    std::uint8_t qos;
  };
  SubscriptionTrie trie;
  std::map<std::uint64_t, std::map<std::uint32_t, Sub>> subs;  // session -> id -> sub
  std::uint32_t next_id = 1;
  for (std::uint64_t session = 1; session <= 150; ++session) {
    for (std::uint32_t n = 1 + rng() % 5; n > 0; --n) {
      const Sub sub{random_path(true), static_cast<std::uint8_t>(rng() % 3)};
      if (!trie.subscribe(sub.filter, "", key(session), qos(sub.qos, next_id))) {
        std::erase_if(subs[session],
                      [&](const auto& old) { return old.second.filter == sub.filter; });
      }
      subs[session][next_id++] = sub;  // a replacement takes the new options
    }
  }
  for (int i = 0; i < 400; ++i) {
    const std::string topic = random_path(false);
    std::map<std::uint64_t, std::pair<int, std::vector<std::uint32_t>>> expected;
    for (const auto& [session, by_id] : subs) {
      for (const auto& [id, sub] : by_id) {
        if (reference_matches(sub.filter, topic)) {
          auto& [max_qos, ids] =
              expected.try_emplace(session, -1, std::vector<std::uint32_t>{}).first->second;
          max_qos = std::max<int>(max_qos, sub.qos);
          ids.push_back(id);
        }
      }
    }
    std::map<std::uint64_t, std::pair<int, std::vector<std::uint32_t>>> got;
    for (Delivery& delivery : match(trie, topic)) {
      std::sort(delivery.subscription_ids.begin(), delivery.subscription_ids.end());
      INFO("duplicate delivery for " << delivery.who.session);
      REQUIRE(
          got.try_emplace(delivery.who.session, delivery.qos, delivery.subscription_ids).second);
    }
    INFO("topic '" << topic << "'");
    REQUIRE(got == expected);
  }
}

TEST_CASE("trie: more than 16 matching nodes still merge", "[trie]") {
  SubscriptionTrie trie;
  std::vector<std::uint32_t> ids;
  std::uint32_t id = 1;
  for (const char* first : {"a", "+"}) {
    for (const char* second : {"b", "+"}) {
      for (const char* third : {"c", "+"}) {
        for (const char* fourth : {"d", "+", "#"}) {
          const std::string filter = std::string(first) + "/" + second + "/" + third + "/" + fourth;
          trie.subscribe(filter, "", key(1), qos(id % 3, id));
          trie.subscribe(filter, "", key(2 + id), qos(0));
          ids.push_back(id++);
        }
      }
    }
  }
  trie.subscribe("#", "", key(1), qos(0, id));
  ids.push_back(id);
  std::vector<Delivery> out;
  trie.match("a/b/c/d", std::nullopt, out);
  REQUIRE(out.size() == 1 + 24);
  const auto mine = std::find_if(out.begin(), out.end(), [](auto& d) { return d.who == key(1); });
  REQUIRE(mine != out.end());
  CHECK(mine->qos == 2);
  std::sort(mine->subscription_ids.begin(), mine->subscription_ids.end());
  CHECK(mine->subscription_ids == ids);
}

TEST_CASE("trie: overlapping subscriptions merge to one delivery", "[trie]") {
  SubscriptionTrie trie;
  SubscriptionOptions all = qos(1);
  all.retain_as_published = true;
  REQUIRE(trie.subscribe("a/b", "", key(1), qos(0, 11)));
  REQUIRE(trie.subscribe("a/+", "", key(1), qos(2, 12)));
  REQUIRE(trie.subscribe("#", "", key(1), all));
  REQUIRE(trie.subscribe("a/b", "", key(2), qos(1, 21)));
  REQUIRE(trie.size() == 4);

  auto out = match(trie, "a/b");
  REQUIRE(out.size() == 2);
  std::sort(out.begin(), out.end(), [](auto& x, auto& y) { return x.who < y.who; });
  CHECK(out[0].who == key(1));
  CHECK(out[0].qos == 2);  // max over matching filters [MQTT-3.3.5-1]
  CHECK(out[0].retain_as_published);
  auto ids = out[0].subscription_ids;
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::uint32_t>{11, 12});
  CHECK(out[1].who == key(2));
  CHECK(out[1].qos == 1);
  CHECK_FALSE(out[1].retain_as_published);
  CHECK(out[1].subscription_ids == std::vector<std::uint32_t>{21});

  SECTION("existing entries in `out` are left alone") {
    std::vector<Delivery> prior(1);
    prior[0].who = key(1);
    trie.match("a/b", std::nullopt, prior);
    CHECK(prior.size() == 3);
  }
}

TEST_CASE("trie: same filter and subscriber replaces the options", "[trie]") {
  SubscriptionTrie trie;
  CHECK(trie.subscribe("x/y", "", key(1), qos(0, 5)));
  CHECK_FALSE(trie.subscribe("x/y", "", key(1), qos(2, 6)));
  CHECK(trie.size() == 1);
  const auto out = match(trie, "x/y");
  REQUIRE(out.size() == 1);
  CHECK(out[0].qos == 2);
  CHECK(out[0].subscription_ids == std::vector<std::uint32_t>{6});
  CHECK(trie.subscribe("x/y", "g", key(1), qos(0)));  // a shared one is distinct
  CHECK(trie.size() == 2);
}

TEST_CASE("trie: shard is part of the subscriber key", "[trie]") {
  SubscriptionTrie trie;
  CHECK(trie.subscribe("t", "", key(7, 0), qos(0)));
  CHECK(trie.subscribe("t", "", key(7, 1), qos(0)));
  CHECK(match(trie, "t").size() == 2);
}

TEST_CASE("trie: no_local skips only the publisher's own subscriptions", "[trie]") {
  SubscriptionTrie trie;
  SubscriptionOptions no_local = qos(1);
  no_local.no_local = true;
  trie.subscribe("a", "", key(1), no_local);
  trie.subscribe("a", "", key(2), qos(0));
  CHECK(match(trie, "a", key(1)).size() == 1);  // [MQTT-3.8.3-3]
  CHECK(match(trie, "a", key(1))[0].who == key(2));
  CHECK(match(trie, "a", key(2)).size() == 2);
  CHECK(match(trie, "a").size() == 2);

  SECTION("another matching filter without no_local still delivers") {
    trie.subscribe("+", "", key(1), qos(0, 3));
    auto out = match(trie, "a", key(1));
    REQUIRE(out.size() == 2);
    const auto mine = std::find_if(out.begin(), out.end(), [](auto& d) { return d.who == key(1); });
    REQUIRE(mine != out.end());
    CHECK(mine->qos == 0);
    CHECK(mine->subscription_ids == std::vector<std::uint32_t>{3});
  }
}

TEST_CASE("trie: shared groups deliver once per group, round-robin", "[trie][shared]") {
  SubscriptionTrie trie;
  for (std::uint64_t session : {1, 2, 3}) {
    trie.subscribe("s/+", "g1", key(session), qos(1));
  }
  trie.subscribe("s/+", "g2", key(10), qos(0));
  trie.subscribe("s/+", "g2", key(11), qos(0));
  trie.subscribe("s/#", "", key(20), qos(0));
  std::map<std::uint64_t, int> counts;
  for (int i = 0; i < 1000; ++i) {
    const auto out = match(trie, "s/x");
    REQUIRE(out.size() == 3);  // one per group + the plain subscriber
    for (const Delivery& delivery : out) {
      ++counts[delivery.who.session];
    }
  }
  CHECK(counts[20] == 1000);
  CHECK(counts[10] == 500);
  CHECK(counts[11] == 500);
  CHECK(counts[1] + counts[2] + counts[3] == 1000);
  for (std::uint64_t session : {1, 2, 3}) {
    CHECK(counts[session] >= 333);
    CHECK(counts[session] <= 334);
  }
  CHECK(match(trie, "t/x").empty());
}

TEST_CASE("trie: concurrent matches keep round-robin exact", "[trie][shared]") {
  SubscriptionTrie trie;
  for (std::uint64_t session : {1, 2, 3}) {
    trie.subscribe("load", "g", key(session), qos(0));
  }
  std::vector<std::map<std::uint64_t, int>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& counts : per_thread) {
    threads.emplace_back([&trie, &counts] {
      std::vector<Delivery> out;
      for (int i = 0; i < 3000; ++i) {
        out.clear();
        trie.match("load", std::nullopt, out);
        ++counts[out.at(0).who.session];
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (std::uint64_t session : {1, 2, 3}) {
    int total = 0;
    for (auto& counts : per_thread) {
      total += counts[session];
    }
    CHECK(total == 4000);
  }
}

TEST_CASE("trie: a subscriber in a group and a plain subscription gets both", "[trie][shared]") {
  SubscriptionTrie trie;
  trie.subscribe("a", "g", key(1), qos(1));
  trie.subscribe("a", "", key(1), qos(0));
  const auto out = match(trie, "a");
  REQUIRE(out.size() == 2);  // [MQTT 4.8.2]: the shared copy is separate
  CHECK(out[0].who == key(1));
  CHECK(out[1].who == key(1));
}

TEST_CASE("trie: unsubscribe returns existence and prunes nodes", "[trie]") {
  SubscriptionTrie trie;
  REQUIRE(trie.node_count() == 1);
  trie.subscribe("a/b/c", "", key(1), qos(0));
  trie.subscribe("a/+/#", "", key(1), qos(0));
  trie.subscribe("a/b/c", "g", key(2), qos(0));
  CHECK(trie.node_count() == 6);  // root, a, b, c, +, #
  CHECK(trie.size() == 3);

  CHECK_FALSE(trie.unsubscribe("a/b/c", "", key(2)));   // wrong subscriber
  CHECK_FALSE(trie.unsubscribe("a/b/c", "h", key(2)));  // wrong group
  CHECK_FALSE(trie.unsubscribe("a/b", "", key(1)));     // intermediate node
  CHECK_FALSE(trie.unsubscribe("x/y", "", key(1)));     // no such path
  CHECK(trie.unsubscribe("a/b/c", "", key(1)));
  CHECK_FALSE(trie.unsubscribe("a/b/c", "", key(1)));
  CHECK(trie.node_count() == 6);  // the group still holds a/b/c
  CHECK(trie.unsubscribe("a/b/c", "g", key(2)));
  CHECK(trie.node_count() == 4);  // root, a, +, #
  CHECK(trie.unsubscribe("a/+/#", "", key(1)));
  CHECK(trie.node_count() == 1);
  CHECK(trie.size() == 0);
  CHECK(match(trie, "a/b/c").empty());
}

TEST_CASE("trie: 10 000 subscribers on one topic give 10 000 deliveries", "[trie][fanout]") {
  SubscriptionTrie trie;
  for (std::uint64_t session = 1; session <= 10000; ++session) {
    trie.subscribe("bench/topic", "", key(session, session % 4), qos(1));
  }
  REQUIRE(trie.size() == 10000);
  std::vector<Delivery> out;
  for (int round = 0; round < 10; ++round) {
    out.clear();
    trie.match("bench/topic", std::nullopt, out);
    REQUIRE(out.size() == 10000);
  }
  trie.subscribe("bench/#", "", key(5000, 5000 % 4), qos(2));  // overlaps one subscriber
  trie.subscribe("#", "", key(20000), qos(0));
  out.clear();
  trie.match("bench/topic", std::nullopt, out);
  CHECK(out.size() == 10001);
  const auto merged =
      std::find_if(out.begin(), out.end(), [](auto& d) { return d.who.session == 5000; });
  REQUIRE(merged != out.end());
  CHECK(merged->qos == 2);
}

}  // namespace ferry::broker
