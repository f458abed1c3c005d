// protocol::Connection: messages to the client through publish(): QoS handshakes, the
// client's Receive Maximum, Maximum Packet Size and Topic Alias Maximum, expiry, the
// session queue and resumption on accept().
#include "tests/unit/protocol/connection_test_util.hpp"

using namespace ferry::mqtt;
using namespace ferry::mqtt::test;
using namespace std::chrono_literals;

TEST_CASE("publish() QoS 0 on 3.1.1 writes the exact PUBLISH", "[connection]") {
  Peer peer(Version::v3_1_1);
  peer.establish();
  CHECK(peer.publish(make_message("a/b", "hi", 0), 0) == Offer::sent);
  CHECK(peer.out.bytes.flatten() == std::string{0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i'});
  CHECK(peer.state.inflight.empty());
  CHECK(delivered(peer.out).empty());
  CHECK_FALSE(close_reason(peer.out));
}

TEST_CASE("publish() QoS 0 references the shared payload instead of copying it", "[connection]") {
  Version v = GENERATE(Version::v3_1_1, Version::v5);
  Peer a(v);
  Peer b(v);
  a.establish();
  b.establish();
  auto msg = make_message("big", std::string(1000, 'z'), 0);
  REQUIRE(a.publish(msg, 0) == Offer::sent);
  REQUIRE(b.publish(msg, 0) == Offer::sent);
  for (Peer* p : {&a, &b}) {
    bool referenced = false;
    p->out.bytes.for_each_slice([&](const char* data, std::size_t n) {
      if (data == msg->payload->data() && n == msg->payload->size()) {
        referenced = true;
      }
    });
    CHECK(referenced);
    const auto pub = std::get<Publish>(p->only_sent());
    CHECK(pub.topic == "big");
    CHECK(pub.qos == 0);
    CHECK(pub.payload_view() == *msg->payload);
  }
}

TEST_CASE("publish() QoS 1: packet id, in flight until PUBACK", "[connection]") {
  Version v = GENERATE(Version::v3_1_1, Version::v5);
  Peer peer(v);
  peer.establish();
  auto msg = make_message("q1", "payload", 1);
  CHECK(peer.publish(msg, 1) == Offer::sent);
  CHECK(peer.publish(msg, 1) == Offer::sent);
  auto sent = peer.sent();
  REQUIRE(sent.size() == 2);
  const auto& first = std::get<Publish>(sent[0]);
  const auto& second = std::get<Publish>(sent[1]);
  CHECK(first.qos == 1);
  CHECK_FALSE(first.dup);
  CHECK(first.packet_id != 0);
  CHECK(second.packet_id != 0);
  CHECK(first.packet_id != second.packet_id);
  REQUIRE(peer.state.inflight.size() == 2);
  CHECK(peer.state.inflight.front().packet_id == first.packet_id);
  CHECK(std::next(peer.state.inflight.begin())->packet_id == second.packet_id);

  peer.out.clear();
  peer.feed(Puback{{second.packet_id}});
  REQUIRE(peer.state.inflight.size() == 1);
  CHECK(peer.state.inflight.front().packet_id == first.packet_id);
  peer.feed(Puback{{first.packet_id}});
  CHECK(peer.state.inflight.empty());
  CHECK_FALSE(peer.state.inflight.allocated());  // all acknowledged: back to one pointer
  CHECK(peer.out.bytes.empty());
  CHECK(delivered(peer.out).empty());
  CHECK_FALSE(close_reason(peer.out));
}

TEST_CASE("PUBACK for an unknown or QoS 2 id releases nothing", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  REQUIRE(peer.publish(make_message("q2", "x", 2), 2) == Offer::sent);
  const auto id = peer.state.inflight.front().packet_id;
  peer.out.clear();
  peer.feed(Puback{{static_cast<std::uint16_t>(id + 1)}});
  peer.feed(Puback{{id}});
  CHECK(peer.state.inflight.size() == 1);
  CHECK_FALSE(close_reason(peer.out));
}

TEST_CASE("publish() QoS 2: PUBREC -> PUBREL, PUBCOMP releases", "[connection]") {
  Version v = GENERATE(Version::v3_1_1, Version::v5);
  Peer peer(v);
  peer.establish();
  REQUIRE(peer.publish(make_message("q2", "x", 2), 2) == Offer::sent);
  const auto pub = std::get<Publish>(peer.only_sent());
  CHECK(pub.qos == 2);
  peer.out.clear();
  peer.feed(Pubrec{{pub.packet_id}});
  const auto rel = std::get<Pubrel>(peer.only_sent());
  CHECK(rel.packet_id == pub.packet_id);
  CHECK(rel.reason == Reason::success);
  REQUIRE(peer.state.inflight.size() == 1);
  CHECK(peer.state.inflight.front().released);
  peer.out.clear();
  peer.feed(Pubcomp{{pub.packet_id}});
  CHECK(peer.state.inflight.empty());
  CHECK(peer.out.bytes.empty());
}

TEST_CASE("PUBREC for an unknown id: PUBREL 0x92", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  peer.feed(Pubrec{{1234}});
  const auto rel = std::get<Pubrel>(peer.only_sent());
  CHECK(rel.packet_id == 1234);
  CHECK(rel.reason == Reason::packet_identifier_not_found);
}

TEST_CASE("v5 PUBREC with an error reason ends the QoS 2 flow", "[connection]") {
  Properties props;
  props.receive_maximum = 1;
  Peer peer(Version::v5);
  peer.establish(0, props);
  REQUIRE(peer.publish(make_message("q2", "x", 2), 2) == Offer::sent);
  REQUIRE(peer.publish(make_message("q2", "y", 2), 2) == Offer::queued);
  const auto id = peer.state.inflight.front().packet_id;
  peer.out.clear();
  peer.feed(Pubrec{{id, Reason::quota_exceeded}});
  // No PUBREL; the freed slot goes to the queued message [MQTT 4.9].
  auto sent = peer.sent();
  REQUIRE(sent.size() == 1);
  CHECK(std::get<Publish>(sent[0]).payload_view() == "y");
  REQUIRE(peer.state.inflight.size() == 1);
  CHECK(*peer.state.inflight.front().message->payload == "y");
  CHECK(peer.state.queue.empty());
}

TEST_CASE("client Receive Maximum 1: second QoS 1 message waits for PUBACK", "[connection]") {
  Properties props;
  props.receive_maximum = 1;
  Peer peer(Version::v5);
  peer.establish(0, props);
  CHECK(peer.publish(make_message("t", "first", 1), 1) == Offer::sent);
  CHECK(peer.publish(make_message("t", "second", 1), 1) == Offer::queued);
  // QoS 0 is not limited by Receive Maximum.
  CHECK(peer.publish(make_message("t", "zero", 0), 0) == Offer::sent);
  auto sent = peer.sent();
  REQUIRE(sent.size() == 2);
  const auto first = std::get<Publish>(sent[0]);
  CHECK(first.payload_view() == "first");
  CHECK(std::get<Publish>(sent[1]).payload_view() == "zero");
  CHECK(peer.state.queue.size() == 1);
  CHECK(peer.state.queued_bytes == 6);

  peer.out.clear();
  peer.feed(Puback{{first.packet_id}});
  const auto second = std::get<Publish>(peer.only_sent());
  CHECK(second.payload_view() == "second");
  CHECK(second.qos == 1);
  CHECK(second.packet_id != 0);
  CHECK(peer.state.queue.empty());
  CHECK_FALSE(peer.state.queue.allocated());
  CHECK(peer.state.queued_bytes == 0);
  REQUIRE(peer.state.inflight.size() == 1);
  CHECK(peer.state.inflight.front().packet_id == second.packet_id);
}

TEST_CASE("while messages are queued, new ones queue behind them (order kept)", "[connection]") {
  Properties props;
  props.receive_maximum = 1;
  Peer peer(Version::v5);
  peer.establish(0, props);
  REQUIRE(peer.publish(make_message("t", "1", 1), 1) == Offer::sent);
  REQUIRE(peer.publish(make_message("t", "2", 1), 1) == Offer::queued);
  REQUIRE(peer.publish(make_message("t", "3", 2), 2) == Offer::queued);
  std::string order;
  for (int i = 0; i < 3; ++i) {
    auto pub = std::get<Publish>(peer.only_sent());
    order += pub.payload_view();
    peer.out.clear();
    if (pub.qos == 1) {
      peer.feed(Puback{{pub.packet_id}});
    } else {
      peer.feed(Pubrec{{pub.packet_id}});
      peer.out.clear();
      peer.feed(Pubcomp{{pub.packet_id}});
    }
    if (i == 2) {
      CHECK(peer.out.bytes.empty());
    }
  }
  CHECK(order == "123");
  CHECK(peer.state.inflight.empty());
}

TEST_CASE("3.1.1 outbound window is limits.max_inflight", "[connection]") {
  ConnectionLimits limits;
  limits.max_inflight = 2;
  Peer peer(Version::v3_1_1, limits);
  peer.establish();
  CHECK(peer.publish(make_message("t", "a"), 1) == Offer::sent);
  CHECK(peer.publish(make_message("t", "b"), 1) == Offer::sent);
  CHECK(peer.publish(make_message("t", "c"), 1) == Offer::queued);
  CHECK(peer.state.inflight.size() == 2);
}

TEST_CASE("queue bound: max_queued_messages and max_queued_bytes", "[connection]") {
  Properties props;
  props.receive_maximum = 1;
  SECTION("messages") {
    ConnectionLimits limits;
    limits.max_queued_messages = 2;
    Peer peer(Version::v5, limits);
    peer.establish(0, props);
    CHECK(peer.publish(make_message("t", "0"), 1) == Offer::sent);
    CHECK(peer.publish(make_message("t", "1"), 1) == Offer::queued);
    CHECK(peer.publish(make_message("t", "2"), 1) == Offer::queued);
    CHECK(peer.publish(make_message("t", "3"), 1) == Offer::dropped_queue_full);
    CHECK(peer.state.queue.size() == 2);
  }
  SECTION("bytes") {
    ConnectionLimits limits;
    limits.max_queued_bytes = 10;
    Peer peer(Version::v5, limits);
    peer.establish(0, props);
    CHECK(peer.publish(make_message("t", "0"), 1) == Offer::sent);
    CHECK(peer.publish(make_message("t", "123456"), 1) == Offer::queued);
    CHECK(peer.publish(make_message("t", "12345"), 1) == Offer::dropped_queue_full);
    CHECK(peer.publish(make_message("t", "1234"), 1) == Offer::queued);
    CHECK(peer.state.queued_bytes == 10);
  }
}

TEST_CASE("client Maximum Packet Size smaller than the message: dropped_too_large",
          "[connection]") {
  Properties props;
  props.maximum_packet_size = 50;
  Peer peer(Version::v5);
  peer.establish(0, props);
  std::uint8_t qos = GENERATE(std::uint8_t{0}, std::uint8_t{1});
  CHECK(peer.publish(make_message("t", std::string(100, 'x')), qos) == Offer::dropped_too_large);
  CHECK(peer.out.bytes.empty());
  CHECK(peer.state.inflight.empty());
  // A message that fits still goes out; size counts the whole packet [MQTT-3.1.2-24].
  // PUBLISH "t" QoS 1: 1 + 1 + 3 + 2 + 1 (no properties) = 8 bytes of head.
  const std::size_t head = qos == 0 ? 6 : 8;
  CHECK(peer.publish(make_message("t", std::string(50 - head, 'x')), qos) == Offer::sent);
  CHECK(peer.out.bytes.size() == 50);
  CHECK(peer.publish(make_message("t", std::string(51 - head, 'x')), qos) ==
        Offer::dropped_too_large);
  CHECK(peer.out.bytes.size() == 50);
}

TEST_CASE("expired message: dropped_expired", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  auto m = std::make_shared<Message>();
  m->topic = "t";
  m->payload = payload_of("x");
  m->expires_at = peer.now - 1s;
  CHECK(peer.conn.publish(outgoing(m, 1), peer.now, peer.out) == Offer::dropped_expired);
  m->expires_at = peer.now;
  CHECK(peer.conn.publish(outgoing(m, 0), peer.now, peer.out) == Offer::dropped_expired);
  CHECK(peer.out.bytes.empty());
  CHECK(peer.state.inflight.empty());
}

TEST_CASE("message expiring while queued is not sent", "[connection]") {
  Properties props;
  props.receive_maximum = 1;
  Peer peer(Version::v5);
  peer.establish(0, props);
  REQUIRE(peer.publish(make_message("t", "first"), 1) == Offer::sent);
  const auto id = peer.state.inflight.front().packet_id;
  auto soon = std::make_shared<Message>();
  soon->topic = "t";
  soon->payload = payload_of("soon");
  soon->expires_at = peer.now + 5s;
  REQUIRE(peer.conn.publish(outgoing(soon, 1), peer.now, peer.out) == Offer::queued);
  auto later = make_message("t", "later");
  REQUIRE(peer.conn.publish(outgoing(later, 1), peer.now + 10s, peer.out) == Offer::queued);
  peer.out.clear();
  peer.feed(Puback{{id}});
  const auto pub = std::get<Publish>(peer.only_sent());
  CHECK(pub.payload_view() == "later");
  CHECK(peer.state.queue.empty());
}

TEST_CASE("message expiry is forwarded as the remaining seconds [MQTT-3.3.2-6]", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  auto m = std::make_shared<Message>();
  m->topic = "t";
  m->payload = payload_of("x");
  m->expires_at = peer.now + 30s;
  REQUIRE(peer.conn.publish(outgoing(m, 0), peer.now, peer.out) == Offer::sent);
  REQUIRE(peer.conn.publish(outgoing(m, 1), peer.now + 10s, peer.out) == Offer::sent);
  REQUIRE(peer.conn.publish(outgoing(m, 1), peer.now + 29500ms, peer.out) == Offer::sent);
  auto sent = peer.sent();
  REQUIRE(sent.size() == 3);
  CHECK(std::get<Publish>(sent[0]).properties.message_expiry_interval ==
        std::optional<std::uint32_t>(30));
  CHECK(std::get<Publish>(sent[1]).properties.message_expiry_interval ==
        std::optional<std::uint32_t>(20));
  CHECK(std::get<Publish>(sent[2]).properties.message_expiry_interval ==
        std::optional<std::uint32_t>(1));
}

TEST_CASE("message properties are forwarded to v5 and left out for 3.1.1", "[connection]") {
  auto m = std::make_shared<Message>();
  m->topic = "t";
  m->payload = payload_of("{}");
  m->properties.content_type = "application/json";
  m->properties.payload_format_indicator = 1;
  m->properties.user_properties = {{"k", "v"}, {"k", "w"}};
  m->properties.correlation_data = "cd";
  m->properties.response_topic = "reply/here";
  SECTION("v5") {
    Peer peer(Version::v5);
    peer.establish();
    REQUIRE(peer.publish(m, 1) == Offer::sent);
    const auto pub = std::get<Publish>(peer.only_sent());
    CHECK(pub.properties.content_type == m->properties.content_type);
    CHECK(pub.properties.payload_format_indicator == std::optional<std::uint8_t>(1));
    CHECK(pub.properties.user_properties == m->properties.user_properties);
    CHECK(pub.properties.correlation_data == m->properties.correlation_data);
    CHECK(pub.properties.response_topic == m->properties.response_topic);
    CHECK_FALSE(pub.properties.message_expiry_interval);
  }
  SECTION("3.1.1") {
    Peer peer(Version::v3_1_1);
    peer.establish();
    REQUIRE(peer.publish(m, 0) == Offer::sent);
    CHECK(peer.out.bytes.flatten() == std::string{0x30, 0x05, 0x00, 0x01, 't', '{', '}'});
  }
}

TEST_CASE("subscription identifiers are attached to v5 PUBLISH", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  Outgoing o = outgoing(make_message("t", "x", 1), 1);
  o.subscription_ids = {7, 300000};
  REQUIRE(peer.conn.publish(o, peer.now, peer.out) == Offer::sent);
  Outgoing plain = outgoing(make_message("t", "y", 1), 1);
  REQUIRE(peer.conn.publish(plain, peer.now, peer.out) == Offer::sent);
  auto sent = peer.sent();
  REQUIRE(sent.size() == 2);
  CHECK(std::get<Publish>(sent[0]).properties.subscription_identifiers ==
        std::vector<std::uint32_t>{7, 300000});
  CHECK(std::get<Publish>(sent[1]).properties.subscription_identifiers.empty());
}

TEST_CASE("retain flag is sent as given by the broker", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  Outgoing o = outgoing(make_message("t", "x", 0), 0);
  o.retain = true;
  REQUIRE(peer.conn.publish(o, peer.now, peer.out) == Offer::sent);
  CHECK(std::get<Publish>(peer.only_sent()).retain);
}

TEST_CASE("outbound topic alias: first with topic, then alias only", "[connection]") {
  Properties props;
  props.topic_alias_maximum = 2;
  Peer peer(Version::v5);
  peer.establish(0, props);
  for (const char* topic : {"room/1", "room/1", "room/2", "room/3", "room/2", "room/3"}) {
    REQUIRE(peer.publish(make_message(topic, "x", 0), 0) == Offer::sent);
  }
  auto sent = peer.sent();
  REQUIRE(sent.size() == 6);
  auto pub = [&](int i) { return std::get<Publish>(sent[i]); };
  REQUIRE(pub(0).properties.topic_alias);
  const auto alias1 = *pub(0).properties.topic_alias;
  CHECK(alias1 >= 1);
  CHECK(alias1 <= 2);
  CHECK(pub(0).topic == "room/1");
  CHECK(pub(1).topic.empty());
  CHECK(pub(1).properties.topic_alias == std::optional<std::uint16_t>(alias1));
  REQUIRE(pub(2).properties.topic_alias);
  const auto alias2 = *pub(2).properties.topic_alias;
  CHECK(alias2 != alias1);
  CHECK(alias2 >= 1);
  CHECK(alias2 <= 2);
  CHECK(pub(2).topic == "room/2");
  // Aliases used up: room/3 always goes by name, with no alias or a fresh mapping.
  CHECK(pub(3).topic == "room/3");
  CHECK(pub(4).topic.empty());
  CHECK(pub(4).properties.topic_alias == std::optional<std::uint16_t>(alias2));
  CHECK(pub(5).topic == "room/3");
}

TEST_CASE("no outbound topic alias without the client's Topic Alias Maximum", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  REQUIRE(peer.publish(make_message("t", "x", 0), 0) == Offer::sent);
  REQUIRE(peer.publish(make_message("t", "x", 0), 0) == Offer::sent);
  for (const auto& p : peer.sent()) {
    CHECK(std::get<Publish>(p).topic == "t");
    CHECK_FALSE(std::get<Publish>(p).properties.topic_alias);
  }
}

TEST_CASE("a message dropped as too large does not leave its alias behind", "[connection]") {
  Properties props;
  props.topic_alias_maximum = 1;
  props.maximum_packet_size = 40;
  Peer peer(Version::v5);
  peer.establish(0, props);
  REQUIRE(peer.publish(make_message("t", std::string(100, 'x'), 0), 0) == Offer::dropped_too_large);
  REQUIRE(peer.publish(make_message("t", "small", 0), 0) == Offer::sent);
  const auto pub = std::get<Publish>(peer.only_sent());
  CHECK(pub.topic == "t");  // the client never learnt the alias: the topic must be there
}

TEST_CASE("accept() resumes in-flight messages with DUP and PUBREL [MQTT-4.4.0-1]",
          "[connection]") {
  Version v = GENERATE(Version::v3_1_1, Version::v5);
  Peer peer(v);
  Outgoing q1 = outgoing(make_message("t/1", "one", 1), 1);
  q1.packet_id = 11;
  Outgoing q2 = outgoing(make_message("t/2", "two", 2), 2);
  q2.packet_id = 12;
  Outgoing q2r = outgoing(make_message("t/3", "three", 2), 2);
  q2r.packet_id = 13;
  q2r.released = true;
  peer.state.inflight = {q1, q2, q2r};
  peer.state.last_packet_id = 13;
  peer.state.queue.push_back(outgoing(make_message("t/4", "four", 1), 1));
  peer.state.queued_bytes = 4;

  peer.send_connect(peer.connect_packet());
  peer.out.clear();
  peer.accept(true);
  auto sent = peer.sent();
  REQUIRE(types_of(sent) == std::vector<PacketType>{PacketType::connack, PacketType::publish,
                                                    PacketType::publish, PacketType::pubrel,
                                                    PacketType::publish});
  CHECK(std::get<Connack>(sent[0]).session_present);
  const auto r1 = std::get<Publish>(sent[1]);
  CHECK(r1.dup);
  CHECK(r1.qos == 1);
  CHECK(r1.packet_id == 11);
  CHECK(r1.topic == "t/1");
  CHECK(r1.payload_view() == "one");
  const auto r2 = std::get<Publish>(sent[2]);
  CHECK(r2.dup);
  CHECK(r2.qos == 2);
  CHECK(r2.packet_id == 12);
  CHECK(std::get<Pubrel>(sent[3]).packet_id == 13);
  const auto fresh = std::get<Publish>(sent[4]);
  CHECK_FALSE(fresh.dup);
  CHECK(fresh.payload_view() == "four");
  CHECK(fresh.packet_id != 11);
  CHECK(fresh.packet_id != 12);
  CHECK(fresh.packet_id != 13);
  CHECK(peer.state.queue.empty());
  CHECK(peer.state.queued_bytes == 0);
  CHECK(peer.state.inflight.size() == 4);

  // The handshakes complete on the new connection.
  peer.out.clear();
  peer.feed(Puback{{11}});
  peer.feed(Pubrec{{12}});
  peer.feed(Pubcomp{{13}});
  CHECK(types_of(peer.sent()) == std::vector<PacketType>{PacketType::pubrel});
  CHECK(peer.state.inflight.size() == 2);
}

TEST_CASE("accept() drops queued messages that expired while offline", "[connection]") {
  Peer peer(Version::v5);
  auto m = std::make_shared<Message>();
  m->topic = "t";
  m->payload = payload_of("old");
  m->expires_at = peer.now - 1s;
  peer.state.queue.push_back(outgoing(m, 1));
  peer.state.queue.push_back(outgoing(make_message("t", "new"), 1));
  peer.send_connect(peer.connect_packet());
  peer.out.clear();
  peer.accept();
  auto sent = peer.sent();
  REQUIRE(sent.size() == 2);
  CHECK(std::get<Publish>(sent[1]).payload_view() == "new");
}

TEST_CASE("resumed in-flight messages respect the new Receive Maximum [MQTT-3.3.4-9]",
          "[connection]") {
  // The client reconnects announcing Receive Maximum 1 while three QoS 1 messages are
  // unacknowledged. "The Server MUST NOT send more than Receive Maximum QoS 1 and QoS 2
  // PUBLISH packets for which it has not received PUBACK, PUBCOMP, or PUBREC with a
  // Reason Code of 128 or greater" [MQTT-3.3.4-9]; the send quota is re-initialised
  // with each connection [MQTT 4.9]. Only one may be (re)sent until it is acknowledged.
  Peer peer(Version::v5);
  for (std::uint16_t id = 1; id <= 3; ++id) {
    Outgoing o = outgoing(make_message("t", std::to_string(id)), 1);
    o.packet_id = id;
    peer.state.inflight.push_back(o);
  }
  Properties props;
  props.receive_maximum = 1;
  peer.send_connect(peer.connect_packet(0, props));
  peer.out.clear();
  peer.accept(true);
  auto types = types_of(peer.sent());
  CHECK(types == std::vector<PacketType>{PacketType::connack, PacketType::publish});
  // And the others follow one at a time as acknowledgements come in.
  peer.out.clear();
  peer.feed(Puback{{1}});
  auto next = peer.sent();
  REQUIRE(next.size() == 1);
  CHECK(std::get<Publish>(next[0]).packet_id == 2);
  CHECK(std::get<Publish>(next[0]).dup);
}

TEST_CASE("resumed in-flight message too large for the new Maximum Packet Size is discarded",
          "[connection]") {
  // "Where a Packet is too large to send, the Server MUST discard it without sending it
  // and then behave as if it had completed sending that Application Message"
  // [MQTT-3.1.2-25]. It must not keep occupying the client's Receive Maximum window.
  Peer peer(Version::v5);
  Outgoing big = outgoing(make_message("t", std::string(100, 'x')), 1);
  big.packet_id = 1;
  peer.state.inflight.push_back(big);
  peer.state.last_packet_id = 1;
  peer.state.queue.push_back(outgoing(make_message("t", "small"), 1));
  peer.state.queued_bytes = 5;
  Properties props;
  props.maximum_packet_size = 50;
  props.receive_maximum = 1;
  peer.send_connect(peer.connect_packet(0, props));
  peer.out.clear();
  peer.accept(true);
  auto sent = peer.sent();
  REQUIRE_FALSE(sent.empty());
  CHECK(std::holds_alternative<Connack>(sent[0]));
  for (std::size_t i = 1; i < sent.size(); ++i) {
    CHECK(std::get<Publish>(sent[i]).payload_view().size() < 50);
  }
  CHECK(peer.out.bytes.size() < 100);
  // The oversized entry is gone and the queued message took the window.
  REQUIRE(peer.state.inflight.size() == 1);
  CHECK(*peer.state.inflight.front().message->payload == "small");
  CHECK(peer.state.queue.empty());
}
