// A session's subscriptions: one written filter per subscription, parts derived from it.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "broker/subscriptions.hpp"
#include "tests/unit/broker/broker_test_util.hpp"

namespace ferry::broker {
namespace {

using test::qos;

std::vector<std::string> filters(const Subscriptions& subscriptions) {
  std::vector<std::string> out;
  for (const Subscription& subscription : subscriptions) {
    out.push_back(subscription.filter);
  }
  return out;
}

}  // namespace

TEST_CASE("split_filter: shared filters give plain filter and group", "[subscriptions]") {
  const std::string shared = "$share/group/sensors/+/temp";
  const FilterParts parts = split_filter(shared);
  CHECK(parts.plain == "sensors/+/temp");
  CHECK(parts.group == "group");
  // Views into the written filter, not copies.
  CHECK(parts.plain.data() == shared.data() + 13);
  CHECK(parts.group.data() == shared.data() + 7);

  CHECK(split_filter("a/b").plain == "a/b");
  CHECK(split_filter("a/b").group.empty());
  CHECK(split_filter("$SYS/#").plain == "$SYS/#");
  CHECK(split_filter("$shared/g/a").plain == "$shared/g/a");  // not the "$share/" prefix
  CHECK(split_filter("$shared/g/a").group.empty());
  // Not a valid shared filter: taken whole, as restore always did.
  CHECK(split_filter("$share/g").plain == "$share/g");
  CHECK(split_filter("$share/g").group.empty());
  CHECK(split_filter("$share//a").group.empty());
}

TEST_CASE("subscriptions: put adds, then replaces the options", "[subscriptions]") {
  Subscriptions subscriptions;
  CHECK(subscriptions.empty());
  CHECK(subscriptions.find("a/b") == nullptr);

  CHECK_FALSE(subscriptions.put("a/b", qos(1, 7)));
  REQUIRE(subscriptions.size() == 1);
  const Subscription* found = subscriptions.find("a/b");
  REQUIRE(found != nullptr);
  CHECK(found->filter == "a/b");
  CHECK(found->options.qos == 1);
  CHECK(found->options.subscription_id == 7);

  CHECK(subscriptions.put("a/b", qos(2)));  // same filter: replaced [MQTT-3.8.4-3]
  REQUIRE(subscriptions.size() == 1);
  CHECK(subscriptions.find("a/b")->options.qos == 2);
  CHECK(subscriptions.find("a/b")->options.subscription_id == 0);
  CHECK(subscriptions.find("a") == nullptr);
  CHECK(subscriptions.find("a/b/c") == nullptr);
}

TEST_CASE("subscriptions: iteration is sorted by written filter", "[subscriptions]") {
  Subscriptions subscriptions;
  for (const char* filter : {"m", "z/#", "$share/g/m", "a", "k/+", "b"}) {
    subscriptions.put(filter, qos(0));
  }
  CHECK(filters(subscriptions) ==
        std::vector<std::string>{"$share/g/m", "a", "b", "k/+", "m", "z/#"});
  for (const char* filter : {"m", "z/#", "$share/g/m", "a", "k/+", "b"}) {
    CHECK(subscriptions.contains(filter));
  }
}

TEST_CASE("subscriptions: shared and normal on one filter are two subscriptions",
          "[subscriptions]") {
  Subscriptions subscriptions;
  subscriptions.put("a/b", qos(0));
  subscriptions.put("$share/g/a/b", qos(1));
  subscriptions.put("$share/h/a/b", qos(2));
  REQUIRE(subscriptions.size() == 3);

  std::vector<std::string> groups;
  for (const Subscription& subscription : subscriptions) {
    CHECK(subscription.parts().plain == "a/b");
    groups.emplace_back(subscription.parts().group);
  }
  CHECK(groups == std::vector<std::string>{"g", "h", ""});

  CHECK(subscriptions.erase("$share/g/a/b"));
  CHECK_FALSE(subscriptions.erase("$share/g/a/b"));
  CHECK_FALSE(subscriptions.erase("g/a/b"));
  CHECK(filters(subscriptions) == std::vector<std::string>{"$share/h/a/b", "a/b"});
  CHECK(subscriptions.find("a/b")->options.qos == 0);
  CHECK(subscriptions.erase("a/b"));
  CHECK(subscriptions.erase("$share/h/a/b"));
  CHECK(subscriptions.empty());
}

TEST_CASE("subscriptions: long filters survive growth and erasure", "[subscriptions]") {
  Subscriptions subscriptions;
  std::vector<std::string> written;
  for (int i = 99; i >= 0; --i) {  // reverse order: every put inserts at the front
    written.push_back("building/floor-" + std::to_string(i) + "/room/+/temperature");
    subscriptions.put(written.back(), qos(static_cast<std::uint8_t>(i % 3), i + 1));
  }
  REQUIRE(subscriptions.size() == 100);
  for (std::size_t i = 0; i < written.size(); i += 2) {
    CHECK(subscriptions.erase(written[i]));
  }
  REQUIRE(subscriptions.size() == 50);
  for (std::size_t i = 1; i < written.size(); i += 2) {
    const int n = 99 - static_cast<int>(i);
    const Subscription* found = subscriptions.find(written[i]);
    REQUIRE(found != nullptr);
    CHECK(found->options.subscription_id == static_cast<std::uint32_t>(n + 1));
    CHECK(found->options.qos == n % 3);
  }
}

}  // namespace ferry::broker
