// The Storage contract, run against every implementation.
#include <catch2/catch.hpp>

#include <memory>

#include "storage/memory/memory_storage.hpp"
#include "storage/sqlite/sqlite_storage.hpp"
#include "tests/unit/storage/storage_contract.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

using namespace ferry;

namespace {

mqtt::MessagePtr retained(const std::string& topic, const std::string& payload) {
  return storage::test::retained(topic, payload);
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
  v.subscription = [&](storage::SubscriptionRecord&& x) {
    r.subscriptions.push_back(std::move(x));
  };
  v.retained = [&](mqtt::MessagePtr&& x) { r.retained.push_back(std::move(x)); };
  s.restore(v);
  return r;
}

void contract(storage::Storage& s) {
  SECTION("sessions and subscriptions come back, and go with their session") {
    s.put_session({"c1", mqtt::Version::v5, 60, std::nullopt, 0});
    s.put_session({"c2", mqtt::Version::v3_1_1, 0xFFFFFFFF, std::nullopt, 0});
    s.put_subscription({"c1", "a/#", {"a/#", 1}, 7});
    s.put_subscription({"c2", "b/+", {"b/+", 2}, 0});
    s.flush();
    auto r = restore(s);
    REQUIRE(r.sessions.size() == 2);
    REQUIRE(r.subscriptions.size() == 2);
    s.erase_session("c1");
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
  SECTION("queued messages come back in order; a body goes with its last reference") {
    s.put_session({"c1", mqtt::Version::v5, 60, std::nullopt, 0});
    s.put_session({"c2", mqtt::Version::v5, 60, std::nullopt, 0});
    s.put_message({7, retained("q/1", "seven")});
    s.put_message({8, retained("q/2", "eight")});
    s.enqueue({"c1", 8, 1});
    s.enqueue({"c1", 7, 2});
    s.enqueue({"c2", 7, 1});
    s.enqueue({"c1", 7, 2, false, {}, 12, true});  // in flight now: replaces the row
    std::vector<storage::QueuedRecord> queued;
    std::vector<storage::MessageId> bodies;
    storage::Storage::Visitor v;
    v.queued = [&](storage::QueuedRecord&& q) { queued.push_back(std::move(q)); };
    v.message = [&](storage::MessageRecord&& m) { bodies.push_back(m.id); };
    CHECK(s.restore(v) == 8);
    REQUIRE(queued.size() == 3);
    CHECK(queued[0].client_id == "c1");
    CHECK(queued[0].message == 8);
    CHECK(queued[1].message == 7);
    CHECK(queued[1].packet_id == 12);
    CHECK(queued[1].released);
    s.dequeue("c1", 7);
    s.dequeue("c1", 8);
    bodies.clear();
    queued.clear();
    s.restore(v);
    CHECK(bodies == std::vector<storage::MessageId>{7});  // c2 still refers to 7
    s.erase_session("c2");
    bodies.clear();
    s.restore(v);
    CHECK(bodies.empty());
  }
  SECTION("inbound QoS 2 ids") {
    s.put_inbound_qos2("c1", 5);
    s.put_inbound_qos2("c1", 6);
    s.erase_inbound_qos2("c1", 5);
    std::vector<std::uint16_t> ids;
    storage::Storage::Visitor v;
    v.inbound_qos2 = [&](const std::string&, std::uint16_t id) { ids.push_back(id); };
    s.restore(v);
    CHECK(ids == std::vector<std::uint16_t>{6});
  }
}

}  // namespace

TEST_CASE("memory storage meets the Storage contract", "[storage]") {
  storage::MemoryStorage s;
  contract(s);
  storage::test::contract_more(s);
}

TEST_CASE("sqlite storage meets the Storage contract", "[storage][sqlite]") {
  using Sync = storage::SqliteOptions::Sync;
  // Every sync policy: the contract is the same, only durability timing differs.
  const auto sync = GENERATE(Sync::ack, Sync::periodic, Sync::off);
  storage::test::TempDb db;
  storage::SqliteStorage s({db.path(), sync, 50});
  contract(s);
  storage::test::contract_more(s);
}
