// GatewaySession, client to broker: REGISTER, PUBLISH QoS -1/0/1/2 with normal,
// predefined and short topic ids, SUBSCRIBE and UNSUBSCRIBE with the broker's answers.
#include "tests/unit/protocol/sn_test_util.hpp"

namespace ferry::sn::test {
namespace {

std::uint16_t register_topic(Harness& h, const std::string& topic, std::uint16_t msg_id = 1) {
  Regack ack = only_sent<Regack>(h.feed(Register{0, msg_id, topic}));
  REQUIRE(ack.return_code == ReturnCode::accepted);
  CHECK(ack.msg_id == msg_id);
  return ack.topic_id;
}

TEST_CASE("sn session: REGISTER assigns topic ids", "[sn]") {
  Harness h;
  h.connect();
  std::uint16_t a = register_topic(h, "a/b");
  std::uint16_t b = register_topic(h, "c/d", 2);
  CHECK(a != 0);
  CHECK(b != 0);
  CHECK(a != b);
  CHECK(register_topic(h, "a/b", 3) == a);  // same name, same id
  Regack bad = only_sent<Regack>(h.feed(Register{0, 4, "a/+"}));
  CHECK(bad.return_code == ReturnCode::not_supported);
  CHECK(bad.msg_id == 4);
}

TEST_CASE("sn session: topic ids belong to the session and come back with it", "[sn]") {
  Harness h;
  h.connect();
  Actions a = h.feed(Register{0, 1, "kept/t"});
  std::uint16_t id = only_sent<Regack>(a).topic_id;
  REQUIRE(a.events.size() == 1);
  CHECK(std::get<TopicIdChanged>(a.events[0]) == TopicIdChanged{id, "kept/t", true});
  using Entry = TopicRegistry::Entry;
  CHECK(h.state.sn_topic_ids.entries() == std::vector<Entry>{{"kept/t", id, true}});
  register_topic(h, "kept/t", 2);  // known already: nothing new to keep
  CHECK(h.state.sn_topic_ids.size() == 1);
  // The client comes back (CleanSession 0, or after a restart): a new gateway session on
  // the same state knows the id without a REGISTER.
  h.session.reset();
  h.connect();
  auto p = only_delivered<mqtt::Publish>(h.feed(Publish{qos_flags(0), id, 0, "again"}));
  CHECK(p.topic == "kept/t");
  // An id the broker could not use is dropped from the session as well.
  Actions gone = h.feed(Puback{id, 0, ReturnCode::invalid_topic_id});
  CHECK(h.state.sn_topic_ids.size() == 0);
  REQUIRE(gone.events.size() == 1);
  CHECK(std::get<TopicIdChanged>(gone.events[0]) == TopicIdChanged{id, "", false});
}

TEST_CASE("sn session: REGISTER beyond max_topics is congestion", "[sn]") {
  Harness h;
  h.limits.max_topics = 1;
  h.connect();
  register_topic(h, "one");
  CHECK(only_sent<Regack>(h.feed(Register{0, 2, "two"})).return_code == ReturnCode::congestion);
}

TEST_CASE("sn session: PUBLISH QoS 0 with a registered id is delivered", "[sn]") {
  Harness h;
  h.connect();
  std::uint16_t id = register_topic(h, "sensors/t");
  Actions a = h.feed(Publish{qos_flags(0, TopicIdType::normal, true), id, 0, "21.5"});
  CHECK(a.datagrams.empty());
  auto p = only_delivered<mqtt::Publish>(a);
  CHECK(p.topic == "sensors/t");
  CHECK(p.payload_view() == "21.5");
  CHECK(p.qos == 0);
  CHECK(p.retain);
  CHECK(p.packet_id == 0);
}

TEST_CASE("sn session: PUBLISH QoS 1 is acknowledged with the broker's PUBACK", "[sn]") {
  Harness h;
  h.connect();
  std::uint16_t id = register_topic(h, "t");
  auto p = only_delivered<mqtt::Publish>(h.feed(Publish{qos_flags(1), id, 77, "v"}));
  CHECK(p.qos == 1);
  CHECK(p.packet_id == 77);
  Puback ack = only_sent<Puback>(h.broker_send(mqtt::Puback{{77}}));
  CHECK(ack == Puback{id, 77, ReturnCode::accepted});
}

TEST_CASE("sn session: a refused PUBLISH gets a PUBACK with a return code", "[sn]") {
  Harness h;
  h.connect();
  std::uint16_t id = register_topic(h, "t");
  h.feed(Publish{qos_flags(1), id, 5, "v"});
  CHECK(only_sent<Puback>(h.broker_send(mqtt::Puback{{5, mqtt::Reason::not_authorized}})) ==
        Puback{id, 5, ReturnCode::not_supported});
  h.feed(Publish{qos_flags(2), id, 6, "v"});
  CHECK(only_sent<Puback>(h.broker_send(mqtt::Pubrec{{6, mqtt::Reason::quota_exceeded}})) ==
        Puback{id, 6, ReturnCode::congestion});
}

TEST_CASE("sn session: PUBLISH QoS 2 runs PUBREC/PUBREL/PUBCOMP", "[sn]") {
  Harness h;
  h.connect();
  std::uint16_t id = register_topic(h, "t");
  auto p = only_delivered<mqtt::Publish>(h.feed(Publish{qos_flags(2), id, 9, "v"}));
  CHECK(p.qos == 2);
  CHECK(only_sent<Pubrec>(h.broker_send(mqtt::Pubrec{{9}})).msg_id == 9);
  CHECK(h.state.inbound_qos2.contains(9));

  Publish again{qos_flags(2), id, 9, "v"};
  again.flags.dup = true;
  Actions dup = h.feed(again);
  CHECK(delivered(dup).empty());  // exactly once
  CHECK(only_sent<Pubrec>(dup).msg_id == 9);

  CHECK(only_sent<Pubcomp>(h.feed(Pubrel{9})).msg_id == 9);
  CHECK_FALSE(h.state.inbound_qos2.contains(9));
}

TEST_CASE("sn session: PUBLISH with an unknown topic id is rejected", "[sn]") {
  Harness h;
  h.connect();
  for (int qos : {0, 1, 2}) {
    Actions a = h.feed(Publish{qos_flags(qos), 42, 3, "v"});
    CHECK(delivered(a).empty());
    CHECK(only_sent<Puback>(a) == Puback{42, 3, ReturnCode::invalid_topic_id});
  }
  Actions a = h.feed(Publish{qos_flags(1, TopicIdType::predefined), 42, 3, "v"});
  CHECK(only_sent<Puback>(a).return_code == ReturnCode::invalid_topic_id);
}

TEST_CASE("sn session: QoS 1 PUBLISH without MsgId is dropped", "[sn]") {
  Harness h;
  h.connect();
  std::uint16_t id = register_topic(h, "t");
  Actions a = h.feed(Publish{qos_flags(1), id, 0, "v"});
  CHECK(a.events.empty());
  CHECK(h.session->stats().unexpected == 1);
}

TEST_CASE("sn session: predefined topic ids, global and per client", "[sn]") {
  Harness h;
  h.predefined->add(1, "global/one");
  h.predefined->add(2, "global/two");
  h.predefined->add("c1", 2, "mine/two");
  h.connect("c1");
  Flags f = qos_flags(0, TopicIdType::predefined);
  CHECK(only_delivered<mqtt::Publish>(h.feed(Publish{f, 1, 0, "x"})).topic == "global/one");
  CHECK(only_delivered<mqtt::Publish>(h.feed(Publish{f, 2, 0, "x"})).topic == "mine/two");
}

TEST_CASE("sn session: short topic names need no registration", "[sn]") {
  Harness h;
  h.connect();
  Flags f = qos_flags(1, TopicIdType::short_name);
  auto p = only_delivered<mqtt::Publish>(h.feed(Publish{f, short_topic_id("ab"), 4, "x"}));
  CHECK(p.topic == "ab");
  CHECK(only_sent<Puback>(h.broker_send(mqtt::Puback{{4}})).topic_id == short_topic_id("ab"));
  // "a#" is not a valid topic name.
  Actions bad = h.feed(Publish{qos_flags(0, TopicIdType::short_name), short_topic_id("a#"), 0, ""});
  CHECK(delivered(bad).empty());
  CHECK(only_sent<Puback>(bad).return_code == ReturnCode::not_supported);
}

TEST_CASE("sn session: QoS -1 PUBLISH needs no connection", "[sn]") {
  PredefinedTopics predefined;
  predefined.add(7, "beacons/7");
  auto decode_m1 = [&](const Message& m) {
    std::string wire = encode(m);
    return GatewaySession::decode_qos_minus_one(span_of(wire), &predefined);
  };
  auto p = decode_m1(Publish{qos_flags(-1, TopicIdType::predefined), 7, 0, "ping"});
  REQUIRE(p);
  CHECK(p->topic == "beacons/7");
  CHECK(p->qos == 0);
  CHECK(p->payload_view() == "ping");
  auto s = decode_m1(Publish{qos_flags(-1, TopicIdType::short_name), short_topic_id("zz"), 0, ""});
  REQUIRE(s);
  CHECK(s->topic == "zz");
  CHECK_FALSE(decode_m1(Publish{qos_flags(-1, TopicIdType::normal), 7, 0, "x"}));
  CHECK_FALSE(decode_m1(Publish{qos_flags(-1, TopicIdType::predefined), 8, 0, "x"}));
  CHECK_FALSE(decode_m1(Publish{qos_flags(0, TopicIdType::predefined), 7, 0, "x"}));
  CHECK_FALSE(decode_m1(Pingreq{}));
  std::string junk = bytes({3, 0x0C});
  CHECK_FALSE(GatewaySession::decode_qos_minus_one(span_of(junk), &predefined));
  CHECK_FALSE(GatewaySession::decode_qos_minus_one(
      span_of(encode(Publish{qos_flags(-1, TopicIdType::predefined), 7, 0, "x"})), nullptr));

  std::string wrapped;
  encapsulate(0, "n", encode(Publish{qos_flags(-1, TopicIdType::predefined), 7, 0, "f"}), wrapped);
  auto f = GatewaySession::decode_qos_minus_one(span_of(wrapped), &predefined);
  REQUIRE(f);
  CHECK(f->topic == "beacons/7");
}

TEST_CASE("sn session: QoS -1 from a connected client is a QoS 0 publish", "[sn]") {
  Harness h;
  h.predefined->add(7, "beacons/7");
  h.connect();
  auto p = only_delivered<mqtt::Publish>(
      h.feed(Publish{qos_flags(-1, TopicIdType::predefined), 7, 0, "x"}));
  CHECK(p.qos == 0);
  CHECK(p.topic == "beacons/7");
}

TEST_CASE("sn session: SUBSCRIBE by name gets the topic id in SUBACK", "[sn]") {
  Harness h;
  h.connect();
  auto s = only_delivered<mqtt::Subscribe>(h.feed(Subscribe{qos_flags(1), 3, "room/temp", 0}));
  CHECK(s.packet_id == 3);
  REQUIRE(s.topics.size() == 1);
  CHECK(s.topics[0].filter == "room/temp");
  CHECK(s.topics[0].qos == 1);
  Suback ack = only_sent<Suback>(h.broker_send(mqtt::Suback{3, {mqtt::Reason::granted_qos1}, {}}));
  CHECK(ack.return_code == ReturnCode::accepted);
  CHECK(ack.flags.qos == 1);
  CHECK(ack.msg_id == 3);
  CHECK(ack.topic_id != 0);
  CHECK(register_topic(h, "room/temp", 4) == ack.topic_id);  // the same id
}

TEST_CASE("sn session: SUBSCRIBE with wildcards gets topic id 0", "[sn]") {
  Harness h;
  h.connect();
  auto s = only_delivered<mqtt::Subscribe>(h.feed(Subscribe{qos_flags(2), 5, "room/+/t", 0}));
  CHECK(s.topics[0].filter == "room/+/t");
  Suback ack = only_sent<Suback>(h.broker_send(mqtt::Suback{5, {mqtt::Reason::granted_qos2}, {}}));
  CHECK(ack == Suback{qos_flags(2), 0, 5, ReturnCode::accepted});
}

TEST_CASE("sn session: SUBSCRIBE by predefined id and short name", "[sn]") {
  Harness h;
  h.predefined->add(10, "alarms");
  h.connect();
  Flags pre = qos_flags(0, TopicIdType::predefined);
  auto s = only_delivered<mqtt::Subscribe>(h.feed(Subscribe{pre, 6, "", 10}));
  CHECK(s.topics[0].filter == "alarms");
  CHECK(only_sent<Suback>(h.broker_send(mqtt::Suback{6, {mqtt::Reason::success}, {}})) ==
        Suback{qos_flags(0), 10, 6, ReturnCode::accepted});

  Actions unknown = h.feed(Subscribe{pre, 7, "", 11});
  CHECK(delivered(unknown).empty());
  CHECK(only_sent<Suback>(unknown).return_code == ReturnCode::invalid_topic_id);

  Flags shrt = qos_flags(1, TopicIdType::short_name);
  auto s2 = only_delivered<mqtt::Subscribe>(h.feed(Subscribe{shrt, 8, "", short_topic_id("xy")}));
  CHECK(s2.topics[0].filter == "xy");
  CHECK(only_sent<Suback>(h.broker_send(mqtt::Suback{8, {mqtt::Reason::granted_qos1}, {}}))
            .topic_id == 0);
}

TEST_CASE("sn session: refused and invalid subscriptions", "[sn]") {
  Harness h;
  h.connect();
  h.feed(Subscribe{qos_flags(1), 3, "secret", 0});
  Suback ack =
      only_sent<Suback>(h.broker_send(mqtt::Suback{3, {mqtt::Reason::not_authorized}, {}}));
  CHECK(ack.return_code == ReturnCode::not_supported);
  CHECK(ack.topic_id == 0);

  Actions bad = h.feed(Subscribe{qos_flags(0), 4, "a/#/b", 0});
  CHECK(delivered(bad).empty());
  CHECK(only_sent<Suback>(bad).return_code == ReturnCode::not_supported);

  Actions m1 = h.feed(Subscribe{qos_flags(-1), 5, "a", 0});
  CHECK(delivered(m1).empty());
  CHECK(only_sent<Suback>(m1).return_code == ReturnCode::not_supported);
}

TEST_CASE("sn session: UNSUBSCRIBE is delivered and answered", "[sn]") {
  Harness h;
  h.predefined->add(10, "alarms");
  h.connect();
  auto u = only_delivered<mqtt::Unsubscribe>(h.feed(Unsubscribe{qos_flags(0), 9, "a/#", 0}));
  CHECK(u.packet_id == 9);
  CHECK(u.filters == std::vector<std::string>{"a/#"});
  CHECK(only_sent<Unsuback>(h.broker_send(mqtt::Unsuback{9, {}, {}})).msg_id == 9);

  auto p = only_delivered<mqtt::Unsubscribe>(
      h.feed(Unsubscribe{qos_flags(0, TopicIdType::predefined), 10, "", 10}));
  CHECK(p.filters == std::vector<std::string>{"alarms"});

  Actions unknown = h.feed(Unsubscribe{qos_flags(0, TopicIdType::predefined), 11, "", 99});
  CHECK(delivered(unknown).empty());
  CHECK(only_sent<Unsuback>(unknown).msg_id == 11);
}

}  // namespace
}  // namespace ferry::sn::test
