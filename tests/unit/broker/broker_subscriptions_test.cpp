// Broker-wide subscription bookkeeping driven by a session's own subscriptions: moving a
// session to another shard, ending it, and the filter observer's counts.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "broker/broker.hpp"
#include "broker/session.hpp"
#include "tests/unit/broker/broker_test_util.hpp"

namespace ferry::broker {
namespace {

using test::qos;

/// Subscribes the way Shard::subscribe_one does: session first, then the broker.
void subscribe(Broker& broker, Session& session, std::uint32_t shard, const std::string& filter,
               const SubscriptionOptions& options) {
  session.subscriptions.put(filter, options);
  const FilterParts parts = split_filter(filter);
  broker.subscribe(parts.plain, parts.group, {shard, session.id}, options);
}

std::vector<Delivery> match(Broker& broker, const std::string& topic) {
  auto message = std::make_shared<Message>();
  message->topic = topic;
  message->qos = 2;
  return broker.plan(message, 0).matches;
}

/// (shard, qos) of every delivery, sorted.
std::vector<std::pair<std::uint32_t, int>> targets(const std::vector<Delivery>& deliveries) {
  std::vector<std::pair<std::uint32_t, int>> out;
  for (const Delivery& d : deliveries) {
    out.emplace_back(d.who.shard, d.qos);
  }
  std::sort(out.begin(), out.end());
  return out;
}

BrokerOptions two_shards() {
  BrokerOptions options;
  options.threads = 2;
  return options;
}

using Targets = std::vector<std::pair<std::uint32_t, int>>;

}  // namespace

TEST_CASE("broker: a session's shared and normal subscription on one filter move together",
          "[broker][subscriptions]") {
  Broker broker(two_shards());
  Session session;
  session.id = 7;
  subscribe(broker, session, 0, "a/b", qos(1));
  subscribe(broker, session, 0, "$share/g/a/b", qos(2));
  subscribe(broker, session, 0, "x/#", qos(0));
  Session other;
  other.id = 8;
  subscribe(broker, other, 0, "a/b", qos(0));
  REQUIRE(targets(match(broker, "a/b")) == Targets{{0, 0}, {0, 1}, {0, 2}});

  broker.move_subscriptions(session, 0, 1);
  CHECK(targets(match(broker, "a/b")) == Targets{{0, 0}, {1, 1}, {1, 2}});
  CHECK(targets(match(broker, "x/y")) == Targets{{1, 0}});

  broker.move_subscriptions(session, 1, 1);  // to where it is: nothing changes
  CHECK(targets(match(broker, "a/b")) == Targets{{0, 0}, {1, 1}, {1, 2}});

  broker.unsubscribe_all(session, 1);
  CHECK(targets(match(broker, "a/b")) == Targets{{0, 0}});  // the other session stays
  CHECK(match(broker, "x/y").empty());
  broker.unsubscribe_all(other, 0);
  CHECK(match(broker, "a/b").empty());
}

TEST_CASE("broker: unsubscribe_all leaves the session's subscriptions on other shards alone",
          "[broker][subscriptions]") {
  Broker broker(two_shards());
  Session session;
  session.id = 3;
  subscribe(broker, session, 1, "t", qos(1));
  broker.unsubscribe_all(session, 0);  // wrong shard: nothing of it there
  CHECK(targets(match(broker, "t")) == Targets{{1, 1}});
  broker.unsubscribe_all(session, 1);
  CHECK(match(broker, "t").empty());
}

TEST_CASE("broker: the filter observer counts plain filters over sessions and groups",
          "[broker][subscriptions]") {
  Broker broker(two_shards());
  Session bridge;
  bridge.id = 1;
  std::vector<std::pair<std::string, bool>> events;
  broker.watch_filters(
      [&events](const std::string& filter, bool wanted) { events.emplace_back(filter, wanted); },
      bridge);
  subscribe(broker, bridge, 0, "#", qos(2));  // the watcher's own: not counted

  Session a;
  a.id = 10;
  subscribe(broker, a, 0, "s/1", qos(0));
  subscribe(broker, a, 0, "$share/g/s/1", qos(0));
  Session b;
  b.id = 11;
  subscribe(broker, b, 1, "$share/g/s/1", qos(0));
  using Events = std::vector<std::pair<std::string, bool>>;
  CHECK(events == Events{{"s/1", true}});

  broker.move_subscriptions(a, 0, 1);  // same session: the counts do not change
  broker.unsubscribe_all(a, 1);
  CHECK(events == Events{{"s/1", true}});
  broker.unsubscribe_all(b, 1);
  CHECK(events == Events{{"s/1", true}, {"s/1", false}});
}

}  // namespace ferry::broker
