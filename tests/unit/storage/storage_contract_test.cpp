// The Storage contract, run against every implementation.
#include <catch2/catch.hpp>

#include <memory>

#include "storage/memory/memory_storage.hpp"

using namespace ferry;

namespace {

mqtt::MessagePtr retained(const std::string& topic, const std::string& payload) {
  auto m = std::make_shared<mqtt::Message>();
  m->topic = topic;
  m->payload = std::make_shared<const mqtt::Bytes>(payload);
  m->retain = true;
  return m;
}

struct Restored {
  std::vector<storage::SessionRecord> sessions;
  std::vector<storage::SubscriptionRecord> subscriptions;
  std::vector<mqtt::MessagePtr> retained;
};

Restored restore(storage::Storage& s) {
  Restored r;
  storage::Storage::Visitor v;
  v.session = [&](storage::SessionRecord&& x) { r.sessions.push_back(std::move(x)); };
  v.subscription = [&](storage::SubscriptionRecord&& x) { r.subscriptions.push_back(std::move(x)); };
  v.retained = [&](storage::RetainedRecord&& x) { r.retained.push_back(x.message); };
  s.restore(v);
  return r;
}

void contract(storage::Storage& s) {
  SECTION("sessions and subscriptions come back, and go with their session") {
    REQUIRE(s.put_session({"c1", mqtt::Version::v5, 60, std::nullopt, 0}));
    REQUIRE(s.put_session({"c2", mqtt::Version::v3_1_1, 0xFFFFFFFF, std::nullopt, 0}));
    REQUIRE(s.put_subscription({"c1", "a/#", {"a/#", 1}, 7}));
    REQUIRE(s.put_subscription({"c2", "b/+", {"b/+", 2}, 0}));
    REQUIRE(s.flush());
    auto r = restore(s);
    REQUIRE(r.sessions.size() == 2);
    REQUIRE(r.subscriptions.size() == 2);
    REQUIRE(s.erase_session("c1"));
    r = restore(s);
    REQUIRE(r.sessions.size() == 1);
    CHECK(r.sessions[0].client_id == "c2");
    CHECK(r.sessions[0].expiry_interval == 0xFFFFFFFF);
    REQUIRE(r.subscriptions.size() == 1);
    CHECK(r.subscriptions[0].filter == "b/+");
    CHECK(r.subscriptions[0].options.qos == 2);
  }
  SECTION("a subscription is replaced, then erased") {
    s.put_session({"c1", mqtt::Version::v5, 60, std::nullopt, 0});
    s.put_subscription({"c1", "x", {"x", 0}, 0});
    s.put_subscription({"c1", "x", {"x", 2}, 0});
    auto r = restore(s);
    REQUIRE(r.subscriptions.size() == 1);
    CHECK(r.subscriptions[0].options.qos == 2);
    s.erase_subscription("c1", "x");
    CHECK(restore(s).subscriptions.empty());
  }
  SECTION("retained: replaced by topic, erased by an empty payload") {
    s.put_retained(retained("t/1", "one"));
    s.put_retained(retained("t/1", "uno"));
    s.put_retained(retained("t/2", "two"));
    auto r = restore(s);
    REQUIRE(r.retained.size() == 2);
    s.put_retained(retained("t/1", ""));
    r = restore(s);
    REQUIRE(r.retained.size() == 1);
    CHECK(r.retained[0]->topic == "t/2");
    CHECK(*r.retained[0]->payload == "two");
  }
}

}  // namespace

TEST_CASE("memory storage meets the Storage contract", "[storage]") {
  storage::MemoryStorage s;
  contract(s);
}
