// More of the Storage contract: every event type and field, ordering, expiry and the
// highest id. Run by storage_contract_test.cpp against every implementation.
#pragma once

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>

#include "tests/unit/storage/storage_test_util.hpp"

namespace ferry::storage::test {

inline void check_near(const std::optional<mqtt::Clock::time_point>& got,
                       mqtt::Clock::time_point want) {
  REQUIRE(got.has_value());
  // Stored as wall-clock milliseconds: allow the clocks to drift a little between.
  CHECK(std::chrono::abs(*got - want) < std::chrono::seconds(1));
}

inline void contract_sessions(Storage& s) {
  SECTION("a session keeps every field, its will included") {
    mqtt::Will will{"will/topic", std::string("bye\0!", 5), 2, true, all_properties()};
    s.put_session({"c1", mqtt::Version::v3_1, 10, std::nullopt, 0, 0});
    s.put_session({"c1", mqtt::Version::v5, 0xFFFFFFFE, will, 45, 1700000000});  // replaces
    s.put_session({"c0", mqtt::Version::v3_1_1, 0, std::nullopt, 0, 0});
    const auto r = restore_all(s);
    REQUIRE(r.sessions.size() == 2);
    CHECK(r.sessions[0].client_id == "c0");
    CHECK(r.sessions[0].version == mqtt::Version::v3_1_1);
    CHECK_FALSE(r.sessions[0].will.has_value());
    const auto& c1 = r.sessions[1];
    CHECK(c1.client_id == "c1");
    CHECK(c1.version == mqtt::Version::v5);
    CHECK(c1.expiry_interval == 0xFFFFFFFE);
    REQUIRE(c1.will.has_value());
    CHECK(*c1.will == will);
    CHECK(c1.will_delay == 45);
    CHECK(c1.disconnected_at == 1700000000);
  }
  SECTION("subscription options and id round trip") {
    mqtt::SubscribeTopic o{"$share/g/a/+", 1, true, true, 2};
    s.put_subscription({"c1", "$share/g/a/+", o, 268435455});
    s.put_subscription({"c1", "b", {"b", 2, false, false, 1}, 0});
    const auto r = restore_all(s);
    REQUIRE(r.subscriptions.size() == 2);
    CHECK(r.subscriptions[0].filter == "$share/g/a/+");
    CHECK(r.subscriptions[0].options == o);
    CHECK(r.subscriptions[0].subscription_id == 268435455);
    CHECK(r.subscriptions[1].options == mqtt::SubscribeTopic{"b", 2, false, false, 1});
  }
  SECTION("events from one thread apply in the order they were made") {
    s.put_session({"c1", mqtt::Version::v5, 60, std::nullopt, 0, 0});
    s.put_subscription({"c1", "x", {"x", 0}, 0});
    s.erase_session("c1");
    s.put_session({"c1", mqtt::Version::v5, 61, std::nullopt, 0, 0});
    s.put_subscription({"c1", "y", {"y", 1}, 0});
    s.erase_subscription("c1", "y");
    s.put_subscription({"c1", "y", {"y", 2}, 0});
    const auto r = restore_all(s);
    REQUIRE(r.sessions.size() == 1);
    CHECK(r.sessions[0].expiry_interval == 61);
    REQUIRE(r.subscriptions.size() == 1);
    CHECK(r.subscriptions[0].filter == "y");
    CHECK(r.subscriptions[0].options.qos == 2);
  }
}

inline void contract_messages(Storage& s) {
  SECTION("retained messages keep properties and expiry") {
    const auto later = mqtt::Clock::now() + std::chrono::hours(1);
    auto m = std::make_shared<mqtt::Message>(*message("r/1", std::string("\0bin\xFF", 5), 2));
    m->properties = all_properties();
    m->expires_at = later;
    s.put_retained(m);
    s.put_retained(retained("r/2", "plain"));
    const auto r = restore_all(s);
    REQUIRE(r.retained.size() == 2);
    CHECK(*r.retained[0]->payload == *m->payload);
    CHECK(r.retained[0]->qos == 2);
    CHECK(r.retained[0]->properties == m->properties);
    check_near(r.retained[0]->expires_at, later);
    CHECK_FALSE(r.retained[1]->expires_at.has_value());
    CHECK(r.retained[1]->properties == mqtt::Properties{});
  }
  SECTION("message bodies keep every field; restore returns the highest id") {
    const auto later = mqtt::Clock::now() + std::chrono::seconds(90);
    auto m = std::make_shared<mqtt::Message>(*message("m/1", "", 2, true));  // empty payload
    m->properties = all_properties();
    m->expires_at = later;
    m->origin_session = 0x8000000000000001ULL;
    s.put_message({41, m});
    s.put_message({3, message("m/0", "zero", 1)});
    const auto r = restore_all(s);
    CHECK(r.highest == 41);
    REQUIRE(r.messages.size() == 2);
    CHECK(r.messages[0].id == 3);
    const auto& got = *r.messages[1].message;
    CHECK(r.messages[1].id == 41);
    CHECK(got.topic == "m/1");
    REQUIRE(got.payload != nullptr);
    CHECK(got.payload->empty());
    CHECK(got.qos == 2);
    CHECK(got.retain);
    CHECK(got.properties == m->properties);
    CHECK(got.origin_session == 0x8000000000000001ULL);
    check_near(got.expires_at, later);
    CHECK_FALSE(r.messages[0].message->expires_at.has_value());
  }
  SECTION("an empty store restores nothing, highest id 0") {
    const auto r = restore_all(s);
    CHECK(r.highest == 0);
    CHECK(r.sessions.empty());
    CHECK(r.messages.empty());
  }
}

inline void contract_queue(Storage& s) {
  SECTION("queue rows keep every field and per-client enqueue order across replaces") {
    for (MessageId id : {5, 2, 9}) {
      s.put_message({id, message("q", "p" + std::to_string(id))});
    }
    s.enqueue({"c2", 2, 1});
    s.enqueue({"c1", 9, 2, true, {4, 300000}});
    s.enqueue({"c1", 2, 0});
    s.enqueue({"c1", 5, 1});
    s.enqueue({"c1", 9, 2, true, {4, 300000}, 65535, true});  // replaced: keeps its place
    const auto r = restore_all(s);
    REQUIRE(r.queued.size() == 4);
    CHECK(r.queued[0].client_id == "c1");
    CHECK(r.queued[0].message == 9);
    CHECK(r.queued[0].qos == 2);
    CHECK(r.queued[0].retain);
    CHECK(r.queued[0].subscription_ids == std::vector<std::uint32_t>{4, 300000});
    CHECK(r.queued[0].packet_id == 65535);
    CHECK(r.queued[0].released);
    CHECK(r.queued[1].message == 2);
    CHECK(r.queued[1].qos == 0);
    CHECK(r.queued[2].message == 5);
    CHECK(r.queued[3].client_id == "c2");
    CHECK_FALSE(r.queued[3].released);
  }
  SECTION("erase_session takes its rows and only the bodies no one else needs") {
    s.put_session({"a", mqtt::Version::v5, 60, std::nullopt, 0, 0});
    s.put_session({"b", mqtt::Version::v5, 60, std::nullopt, 0, 0});
    s.put_message({1, message("t", "shared")});
    s.put_message({2, message("t", "a only")});
    s.put_message({3, message("t", "nobody's yet")});  // not queued: stays
    s.enqueue({"a", 1, 1});
    s.enqueue({"a", 2, 1});
    s.enqueue({"b", 1, 1});
    s.put_inbound_qos2("a", 1);
    s.put_inbound_qos2("b", 1);
    s.put_subscription({"a", "t", {"t", 1}, 0});
    s.dequeue("a", 77);  // no such row: changes nothing
    s.erase_session("a");
    const auto r = restore_all(s);
    REQUIRE(r.messages.size() == 2);
    CHECK(r.messages[0].id == 1);
    CHECK(r.messages[1].id == 3);
    REQUIRE(r.queued.size() == 1);
    CHECK(r.queued[0].client_id == "b");
    CHECK(r.inbound == std::vector<std::pair<std::string, std::uint16_t>>{{"b", 1}});
    CHECK(r.subscriptions.empty());
    REQUIRE(r.sessions.size() == 1);
    CHECK(r.sessions[0].client_id == "b");
  }
  SECTION("inbound QoS 2 ids per client, a repeat stored once") {
    s.put_inbound_qos2("z", 9);
    s.put_inbound_qos2("a", 65535);
    s.put_inbound_qos2("a", 1);
    s.put_inbound_qos2("a", 1);
    const auto r = restore_all(s);
    CHECK(r.inbound ==
          std::vector<std::pair<std::string, std::uint16_t>>{{"a", 1}, {"a", 65535}, {"z", 9}});
  }
  SECTION("commit reports success once the events before it are stored") {
    std::atomic<int> calls{0};
    std::atomic<bool> result{false};
    s.put_inbound_qos2("c", 1);
    s.commit([&](bool ok) {
      result = ok;
      ++calls;
    });
    s.flush();
    CHECK(calls == 1);
    CHECK(result);
    CHECK(s.healthy());
  }
}

inline void contract_topics(Storage& s) {
  SECTION("MQTT-SN topic ids: put, replaced by client and id, erased") {
    s.put_topic({"c1", 1, "sensors/temp"});
    s.put_topic({"c1", 2, "sensors/\xC3\xA9t\xC3\xA9"});
    s.put_topic({"c1", 1, "sensors/humidity"});  // same client and id: replaces
    s.erase_topic("c1", 9);                      // no such row: changes nothing
    auto r = restore_all(s);
    CHECK(topics_of(r) == Topics{"c1 1 sensors/humidity", "c1 2 sensors/\xC3\xA9t\xC3\xA9"});
    s.erase_topic("c1", 1);
    r = restore_all(s);
    CHECK(topics_of(r) == Topics{"c1 2 sensors/\xC3\xA9t\xC3\xA9"});
  }
  SECTION("MQTT-SN topic ids of several clients are kept apart, by client then id") {
    s.put_topic({"b", 65535, "b/last"});
    s.put_topic({"a", 300, "a/300"});
    s.put_topic({"b", 1, "b/1"});
    s.put_topic({"a", 2, "a/2"});
    s.put_topic({"a", 1, "a/1"});
    s.erase_topic("a", 65535);  // b's id, not a's
    s.erase_topic("b", 2);      // a's id, not b's
    const auto r = restore_all(s);
    CHECK(topics_of(r) == Topics{"a 1 a/1", "a 2 a/2", "a 300 a/300", "b 1 b/1", "b 65535 b/last"});
  }
}

inline void contract_topic_lifetime(Storage& s) {
  SECTION("erase_session takes the client's MQTT-SN topic ids, no one else's") {
    s.put_session({"a", mqtt::Version::v5, 60, std::nullopt, 0, 0});
    s.put_session({"b", mqtt::Version::v5, 60, std::nullopt, 0, 0});
    s.put_topic({"a", 1, "t/a"});
    s.put_topic({"a", 2, "t/a2"});
    s.put_topic({"b", 1, "t/b"});
    s.put_topic({"ab", 1, "t/ab"});  // a longer client id with the same prefix
    s.erase_session("a");
    const auto r = restore_all(s);
    CHECK(topics_of(r) == Topics{"ab 1 t/ab", "b 1 t/b"});
  }
  SECTION("MQTT-SN topic ids come after the inbound QoS 2 ids; a null visitor skips them") {
    s.put_topic({"c", 5, "t"});
    s.put_inbound_qos2("c", 7);
    std::vector<std::string> order;
    Storage::Visitor v;
    v.inbound_qos2 = [&](const std::string&, std::uint16_t) { order.emplace_back("inbound"); };
    v.topic = [&](TopicRecord&& t) { order.push_back("topic " + t.topic); };
    s.restore(v);
    CHECK(order == std::vector<std::string>{"inbound", "topic t"});
    v.topic = nullptr;
    order.clear();
    s.restore(v);
    CHECK(order == std::vector<std::string>{"inbound"});
  }
}

inline void contract_more(Storage& s) {
  contract_sessions(s);
  contract_messages(s);
  contract_queue(s);
  contract_topics(s);
  contract_topic_lifetime(s);
}

}  // namespace ferry::storage::test
