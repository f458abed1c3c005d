// protocol::Connection: framing and packets from a connected client (PUBLISH and its
// QoS handshakes, Receive Maximum, topic aliases, size limits, PINGREQ, DISCONNECT).
#include "tests/unit/protocol/connection_test_util.hpp"

using namespace ferry::mqtt;
using namespace ferry::mqtt::test;

TEST_CASE("CONNECT fed one byte at a time is delivered once complete", "[connection]") {
  Version v = GENERATE(Version::v3_1_1, Version::v5);
  Peer peer(v);
  peer.conn.start(peer.out);
  peer.out.clear();
  Connect c = peer.connect_packet(15);
  c.username = "someone";
  const std::string bytes = wire_of(c, v);
  for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
    peer.feed_raw(std::string_view(bytes).substr(i, 1));
    REQUIRE(peer.out.events.empty());
  }
  peer.feed_raw(std::string_view(bytes).substr(bytes.size() - 1));
  auto d = delivered(peer.out);
  REQUIRE(d.size() == 1);
  CHECK(std::get<Connect>(d[0]) == c);
}

TEST_CASE("packets split across calls at every position are reassembled", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  Publish pub = make_publish("split/topic", 1, 77, std::string(300, 'x'));
  const std::string stream = wire_of(pub, Version::v5) + wire_of(Pingreq{}, Version::v5);
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    peer.out.clear();
    peer.feed_raw(std::string_view(stream).substr(0, cut));
    peer.feed_raw(std::string_view(stream).substr(cut));
    auto d = delivered(peer.out);
    INFO("cut at " << cut);
    REQUIRE(d.size() == 1);
    CHECK(std::get<Publish>(d[0]) == pub);
    CHECK(types_of(peer.sent()) == std::vector<PacketType>{PacketType::pingresp});
    CHECK_FALSE(close_reason(peer.out));
    peer.conn.send(Puback{{77}}, peer.out);  // free the Receive Maximum slot
  }
}

TEST_CASE("many packets in one call are all handled in order", "[connection]") {
  Version v = GENERATE(Version::v3_1_1, Version::v5);
  Peer peer(v);
  std::string stream = wire_of(peer.connect_packet(), v);
  peer.conn.start(peer.out);
  peer.feed_raw(stream);
  peer.accept();
  peer.out.clear();
  stream.clear();
  for (int i = 0; i < 5; ++i) {
    stream += wire_of(make_publish("t/" + std::to_string(i), 0, 0), v);
    stream += wire_of(Pingreq{}, v);
  }
  Subscribe sub;
  sub.packet_id = 9;
  sub.topics.push_back(SubscribeTopic{"t/#", 1});
  stream += wire_of(sub, v);
  peer.feed_raw(stream);
  auto d = delivered(peer.out);
  REQUIRE(d.size() == 6);
  for (int i = 0; i < 5; ++i) {
    CHECK(std::get<Publish>(d[i]).topic == "t/" + std::to_string(i));
  }
  CHECK(std::get<Subscribe>(d[5]) == sub);
  CHECK(peer.sent().size() == 5);
  CHECK(peer.conn.stats().packets_in == 12);
}

TEST_CASE("PINGREQ is answered with PINGRESP", "[connection]") {
  Version v = GENERATE(Version::v3_1_1, Version::v5);
  Peer peer(v);
  peer.establish();
  peer.feed(Pingreq{});
  CHECK(peer.out.bytes.flatten() == std::string{static_cast<char>(0xD0), 0x00});
  CHECK(peer.out.events.empty());
}

TEST_CASE("PUBLISH QoS 0, 1 and 2 are delivered unchanged", "[connection]") {
  Version v = GENERATE(Version::v3_1_1, Version::v5);
  std::uint8_t qos = GENERATE(std::uint8_t{0}, std::uint8_t{1}, std::uint8_t{2});
  INFO("version " << static_cast<int>(v) << " qos " << int(qos));
  Peer peer(v);
  peer.establish();
  Publish pub = make_publish("sensors/1", qos, 10, "hello");
  pub.retain = true;
  peer.feed(pub);
  auto d = delivered(peer.out);
  REQUIRE(d.size() == 1);
  CHECK(std::get<Publish>(d[0]) == pub);
  CHECK(peer.out.bytes.empty());  // the broker acknowledges, not the Connection
  CHECK_FALSE(close_reason(peer.out));
}

TEST_CASE("send(Puback) and send(Pubrec) are encoded", "[connection]") {
  Version v = GENERATE(Version::v3_1_1, Version::v5);
  Peer peer(v);
  peer.establish();
  peer.feed(make_publish("a", 1, 5));
  peer.feed(make_publish("b", 2, 6));
  peer.out.clear();
  peer.conn.send(Puback{{5}}, peer.out);
  peer.conn.send(Pubrec{{6}}, peer.out);
  CHECK(peer.out.bytes.flatten() == std::string{0x40, 0x02, 0x00, 0x05, 0x50, 0x02, 0x00, 0x06});
  auto sent = peer.sent();
  REQUIRE(sent.size() == 2);
  CHECK(std::get<Puback>(sent[0]).packet_id == 5);
  CHECK(std::get<Pubrec>(sent[1]).packet_id == 6);
  CHECK(peer.state.inbound_qos2.contains(6));
}

TEST_CASE("v5 send(Puback) with an error reason carries it", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  peer.feed(make_publish("a", 1, 5));
  peer.out.clear();
  peer.conn.send(Puback{{5, Reason::not_authorized}}, peer.out);
  const auto ack = std::get<Puback>(peer.only_sent());
  CHECK(ack.packet_id == 5);
  CHECK(ack.reason == Reason::not_authorized);
}

TEST_CASE("duplicate QoS 2 PUBLISH after PUBREC is not delivered again", "[connection]") {
  Version v = GENERATE(Version::v3_1_1, Version::v5);
  Peer peer(v);
  peer.establish();
  Publish pub = make_publish("q2", 2, 42);
  peer.feed(pub);
  REQUIRE(delivered(peer.out).size() == 1);
  peer.conn.send(Pubrec{{42}}, peer.out);
  peer.out.clear();
  pub.dup = true;
  peer.feed(pub);
  CHECK(delivered(peer.out).empty());
  const auto rec = std::get<Pubrec>(peer.only_sent());
  CHECK(rec.packet_id == 42);
  CHECK_FALSE(close_reason(peer.out));
}

TEST_CASE("PUBREL answers PUBCOMP and releases the packet id", "[connection]") {
  Version v = GENERATE(Version::v3_1_1, Version::v5);
  Peer peer(v);
  peer.establish();
  Publish pub = make_publish("q2", 2, 42);
  peer.feed(pub);
  peer.conn.send(Pubrec{{42}}, peer.out);
  peer.out.clear();
  peer.feed(Pubrel{{42}});
  const auto comp = std::get<Pubcomp>(peer.only_sent());
  CHECK(comp.packet_id == 42);
  CHECK(comp.reason == Reason::success);
  CHECK_FALSE(peer.state.inbound_qos2.contains(42));
  CHECK(delivered(peer.out).empty());
  CHECK_FALSE(close_reason(peer.out));
  // The id is free again: a new PUBLISH with it is a new message.
  peer.out.clear();
  peer.feed(pub);
  CHECK(delivered(peer.out).size() == 1);
}

TEST_CASE("PUBREL for an unknown id: v5 PUBCOMP 0x92, 3.1.1 plain PUBCOMP", "[connection]") {
  SECTION("v5") {
    Peer peer(Version::v5);
    peer.establish();
    peer.feed(Pubrel{{9}});
    const auto comp = std::get<Pubcomp>(peer.only_sent());
    CHECK(comp.packet_id == 9);
    CHECK(comp.reason == Reason::packet_identifier_not_found);
    CHECK_FALSE(close_reason(peer.out));
  }
  SECTION("3.1.1") {
    Peer peer(Version::v3_1_1);
    peer.establish();
    peer.feed(Pubrel{{9}});
    CHECK(peer.out.bytes.flatten() == std::string{0x70, 0x02, 0x00, 0x09});
  }
}

TEST_CASE("v5 Receive Maximum exceeded by the client: DISCONNECT 0x93", "[connection]") {
  ConnectionLimits limits;
  limits.receive_maximum = 2;
  Peer peer(Version::v5, limits);
  peer.establish();
  peer.feed(make_publish("a", 1, 1));
  peer.feed(make_publish("a", 1, 2));
  CHECK(delivered(peer.out).size() == 2);
  CHECK_FALSE(close_reason(peer.out));
  peer.out.clear();
  peer.feed(make_publish("a", 1, 3));
  CHECK(delivered(peer.out).empty());
  const auto d = std::get<Disconnect>(peer.only_sent());
  CHECK(d.reason == Reason::receive_maximum_exceeded);
  CHECK(close_reason(peer.out) == Reason::receive_maximum_exceeded);
}

TEST_CASE("v5 Receive Maximum: acknowledged publishes free their slots", "[connection]") {
  ConnectionLimits limits;
  limits.receive_maximum = 2;
  Peer peer(Version::v5, limits);
  peer.establish();
  for (std::uint16_t id = 1; id <= 10; ++id) {
    peer.feed(make_publish("a", 1, id));
    peer.conn.send(Puback{{id}}, peer.out);
  }
  CHECK(delivered(peer.out).size() == 10);
  CHECK_FALSE(close_reason(peer.out));
  // QoS 0 never counts.
  for (int i = 0; i < 5; ++i) {
    peer.feed(make_publish("a", 0, 0));
  }
  CHECK_FALSE(close_reason(peer.out));
}

TEST_CASE("v5 Receive Maximum: QoS 2 holds its slot until PUBREL", "[connection]") {
  ConnectionLimits limits;
  limits.receive_maximum = 1;
  Peer peer(Version::v5, limits);
  peer.establish();
  peer.feed(make_publish("a", 2, 1));
  peer.conn.send(Pubrec{{1}}, peer.out);
  peer.out.clear();
  SECTION("a second QoS 2 before PUBREL exceeds it") {
    peer.feed(make_publish("a", 2, 2));
    CHECK(close_reason(peer.out) == Reason::receive_maximum_exceeded);
  }
  SECTION("after PUBREL the slot is free") {
    peer.feed(Pubrel{{1}});
    peer.feed(make_publish("a", 2, 2));
    CHECK_FALSE(close_reason(peer.out));
    CHECK(delivered(peer.out).size() == 1);
  }
}

TEST_CASE("3.1.1 has no Receive Maximum", "[connection]") {
  ConnectionLimits limits;
  limits.receive_maximum = 2;
  Peer peer(Version::v3_1_1, limits);
  peer.establish();
  for (std::uint16_t id = 1; id <= 5; ++id) {
    peer.feed(make_publish("a", 1, id));
  }
  CHECK(delivered(peer.out).size() == 5);
  CHECK_FALSE(close_reason(peer.out));
}

namespace {

Publish aliased(std::string topic, std::uint16_t alias, std::string payload = "p") {
  Publish p = make_publish(std::move(topic), 0, 0, std::move(payload));
  p.properties.topic_alias = alias;
  return p;
}

}  // namespace

TEST_CASE("inbound topic alias: set then resolved", "[connection]") {
  ConnectionLimits limits;
  limits.topic_alias_maximum = 4;
  Peer peer(Version::v5, limits);
  peer.establish();
  peer.feed(aliased("long/topic/name", 3, "one"));
  peer.feed(aliased("", 3, "two"));
  peer.feed(aliased("other", 3, "three"));  // remapped
  peer.feed(aliased("", 3, "four"));
  auto d = delivered(peer.out);
  REQUIRE(d.size() == 4);
  const char* topics[] = {"long/topic/name", "long/topic/name", "other", "other"};
  for (int i = 0; i < 4; ++i) {
    const auto& p = std::get<Publish>(d[i]);
    CHECK(p.topic == topics[i]);
    CHECK_FALSE(p.properties.topic_alias);  // resolved, not forwarded
  }
  CHECK(std::get<Publish>(d[1]).payload_view() == "two");
  CHECK_FALSE(close_reason(peer.out));
}

TEST_CASE("inbound topic alias above the maximum: DISCONNECT 0x94", "[connection]") {
  ConnectionLimits limits;
  limits.topic_alias_maximum = GENERATE(std::uint16_t{0}, std::uint16_t{4});
  Peer peer(Version::v5, limits);
  peer.establish();
  peer.feed(aliased("t", static_cast<std::uint16_t>(limits.topic_alias_maximum + 1)));
  CHECK(delivered(peer.out).empty());
  CHECK(std::get<Disconnect>(peer.only_sent()).reason == Reason::topic_alias_invalid);
  CHECK(close_reason(peer.out) == Reason::topic_alias_invalid);
}

TEST_CASE("inbound topic alias 0: DISCONNECT 0x94", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  // PUBLISH QoS 0, topic "t", properties: Topic Alias (0x23) = 0.
  const std::string bytes = {0x30, 0x08, 0x00, 0x01, 't', 0x03, 0x23, 0x00, 0x00, 'x'};
  peer.feed_raw(bytes);
  CHECK(delivered(peer.out).empty());
  CHECK(std::get<Disconnect>(peer.only_sent()).reason == Reason::topic_alias_invalid);
  CHECK(close_reason(peer.out) == Reason::topic_alias_invalid);
}

TEST_CASE("empty topic with an unknown alias: DISCONNECT 0x82", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  peer.feed(aliased("", 2));
  CHECK(delivered(peer.out).empty());
  CHECK(std::get<Disconnect>(peer.only_sent()).reason == Reason::protocol_error);
  CHECK(close_reason(peer.out) == Reason::protocol_error);
}

TEST_CASE("aliases do not outlive the connection", "[connection]") {
  Peer first(Version::v5);
  first.establish();
  first.feed(aliased("kept?", 1));
  REQUIRE(delivered(first.out).size() == 1);
  Peer second(Version::v5);
  second.establish();
  second.feed(aliased("", 1));
  CHECK(close_reason(second.out) == Reason::protocol_error);
}

TEST_CASE("packet above limits.max_packet_size: v5 DISCONNECT 0x95", "[connection]") {
  ConnectionLimits limits;
  limits.max_packet_size = 64;
  Peer peer(Version::v5, limits);
  peer.establish();
  SECTION("just fits") {
    Publish pub = make_publish("t", 0, 0, "");
    std::string bytes = wire_of(pub, Version::v5);
    pub.payload = payload_of(std::string(64 - bytes.size(), 'x'));
    REQUIRE(wire_of(pub, Version::v5).size() == 64);
    peer.feed(pub);
    CHECK(delivered(peer.out).size() == 1);
    CHECK_FALSE(close_reason(peer.out));
  }
  SECTION("one byte over, detected from the header alone") {
    Publish pub = make_publish("t", 0, 0, "");
    std::string bytes = wire_of(pub, Version::v5);
    pub.payload = payload_of(std::string(65 - bytes.size(), 'x'));
    std::string big = wire_of(pub, Version::v5);
    REQUIRE(big.size() == 65);
    peer.feed_raw(std::string_view(big).substr(0, 2));
    CHECK(delivered(peer.out).empty());
    CHECK(std::get<Disconnect>(peer.only_sent()).reason == Reason::packet_too_large);
    CHECK(close_reason(peer.out) == Reason::packet_too_large);
  }
}

TEST_CASE("packet above limits.max_packet_size on 3.1.1 closes without bytes", "[connection]") {
  ConnectionLimits limits;
  limits.max_packet_size = 64;
  Peer peer(Version::v3_1_1, limits);
  peer.establish();
  peer.feed(make_publish("t", 0, 0, std::string(100, 'x')));
  CHECK(peer.out.bytes.empty());
  CHECK(close_reason(peer.out) == Reason::packet_too_large);
}

TEST_CASE("malformed remaining length", "[connection]") {
  const std::string bad = {0x30,
                           static_cast<char>(0xFF),
                           static_cast<char>(0xFF),
                           static_cast<char>(0xFF),
                           static_cast<char>(0xFF),
                           0x01};
  SECTION("before CONNECT: Close only") {
    Peer peer(Version::v5);
    peer.conn.start(peer.out);
    peer.out.clear();
    peer.feed_raw(bad);
    CHECK(peer.out.bytes.empty());
    CHECK(close_reason(peer.out) == Reason::malformed_packet);
  }
  SECTION("v5 connected: DISCONNECT 0x81") {
    Peer peer(Version::v5);
    peer.establish();
    peer.feed_raw(bad);
    CHECK(std::get<Disconnect>(peer.only_sent()).reason == Reason::malformed_packet);
    CHECK(close_reason(peer.out) == Reason::malformed_packet);
  }
  SECTION("3.1.1 connected: Close only") {
    Peer peer(Version::v3_1_1);
    peer.establish();
    peer.feed_raw(bad);
    CHECK(peer.out.bytes.empty());
    CHECK(close_reason(peer.out) == Reason::malformed_packet);
  }
}

TEST_CASE("malformed packet body from a v5 client: DISCONNECT 0x81", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  // PUBLISH with QoS 3 is malformed [MQTT-3.3.1-4].
  const std::string bytes = {0x36, 0x05, 0x00, 0x01, 't', 0x00, 0x01};
  peer.feed_raw(bytes);
  CHECK(delivered(peer.out).empty());
  CHECK(std::get<Disconnect>(peer.only_sent()).reason == Reason::malformed_packet);
  CHECK(close_reason(peer.out) == Reason::malformed_packet);
}

TEST_CASE("server-to-client packet types from the client are a protocol error", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  peer.feed(Pingresp{});
  CHECK(std::get<Disconnect>(peer.only_sent()).reason == Reason::protocol_error);
  CHECK(close_reason(peer.out) == Reason::protocol_error);
}

TEST_CASE("payload format indicator 1 with invalid UTF-8: DISCONNECT 0x99", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  Publish pub = make_publish("t", 1, 3, std::string("\xC3\x28", 2));
  pub.properties.payload_format_indicator = 1;
  SECTION("invalid") {
    peer.feed(pub);
    CHECK(delivered(peer.out).empty());
    CHECK(std::get<Disconnect>(peer.only_sent()).reason == Reason::payload_format_invalid);
    CHECK(close_reason(peer.out) == Reason::payload_format_invalid);
  }
  SECTION("valid UTF-8 passes") {
    pub.payload = payload_of("h\xC3\xA9llo");
    peer.feed(pub);
    CHECK(delivered(peer.out).size() == 1);
    CHECK_FALSE(close_reason(peer.out));
  }
  SECTION("indicator 0 does not check") {
    pub.properties.payload_format_indicator = 0;
    peer.feed(pub);
    CHECK(delivered(peer.out).size() == 1);
    CHECK_FALSE(close_reason(peer.out));
  }
}

TEST_CASE("SUBSCRIBE, UNSUBSCRIBE and AUTH are delivered", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  Subscribe sub;
  sub.packet_id = 3;
  sub.topics.push_back(SubscribeTopic{"a/+", 2, true, false, 1});
  Unsubscribe unsub;
  unsub.packet_id = 4;
  unsub.filters = {"a/+"};
  peer.feed(sub);
  peer.feed(unsub);
  auto d = delivered(peer.out);
  REQUIRE(d.size() == 2);
  CHECK(std::get<Subscribe>(d[0]) == sub);
  CHECK(std::get<Unsubscribe>(d[1]) == unsub);
  CHECK(peer.out.bytes.empty());
}

TEST_CASE("DISCONNECT from the client is delivered and closes", "[connection]") {
  Version v = GENERATE(Version::v3_1_1, Version::v5);
  Peer peer(v);
  peer.establish();
  std::string stream = wire_of(Disconnect{}, v) + wire_of(Pingreq{}, v);
  peer.feed_raw(stream);
  auto d = delivered(peer.out);
  REQUIRE(d.size() == 1);
  CHECK(std::holds_alternative<Disconnect>(d[0]));
  CHECK(close_reason(peer.out) == Reason::success);
  CHECK(peer.out.bytes.empty());  // nothing after DISCONNECT is processed
  CHECK(peer.conn.closing());
  // Deliver comes before Close.
  REQUIRE(peer.out.events.size() == 2);
  CHECK(std::holds_alternative<Deliver>(peer.out.events[0]));
  CHECK(std::holds_alternative<Close>(peer.out.events[1]));
}

TEST_CASE("v5 DISCONNECT with will keeps its reason", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  peer.feed(Disconnect{Reason::disconnect_with_will, {}});
  auto d = delivered(peer.out);
  REQUIRE(d.size() == 1);
  CHECK(std::get<Disconnect>(d[0]).reason == Reason::disconnect_with_will);
  CHECK(close_reason(peer.out) == Reason::disconnect_with_will);
}

TEST_CASE("v5 DISCONNECT session expiry vs CONNECT's [MQTT-3.14.2-2]", "[connection]") {
  Disconnect disc;
  disc.properties.session_expiry_interval = 60;
  SECTION("CONNECT had none: DISCONNECT 0x82") {
    Peer peer(Version::v5);
    peer.establish();
    peer.feed(disc);
    CHECK(delivered(peer.out).empty());
    CHECK(std::get<Disconnect>(peer.only_sent()).reason == Reason::protocol_error);
    CHECK(close_reason(peer.out) == Reason::protocol_error);
  }
  SECTION("CONNECT had 0 explicitly: DISCONNECT 0x82") {
    Properties props;
    props.session_expiry_interval = 0;
    Peer peer(Version::v5);
    peer.establish(10, props);
    peer.feed(disc);
    CHECK(close_reason(peer.out) == Reason::protocol_error);
    CHECK(peer.sent().size() == 1);
  }
  SECTION("CONNECT had non-zero: accepted") {
    Properties props;
    props.session_expiry_interval = 10;
    Peer peer(Version::v5);
    peer.establish(10, props);
    peer.feed(disc);
    auto d = delivered(peer.out);
    REQUIRE(d.size() == 1);
    CHECK(std::get<Disconnect>(d[0]).properties.session_expiry_interval ==
          std::optional<std::uint32_t>(60));
    CHECK(close_reason(peer.out) == Reason::success);
    CHECK(peer.out.bytes.empty());
  }
  SECTION("DISCONNECT with session expiry 0 is always fine") {
    Peer peer(Version::v5);
    peer.establish();
    disc.properties.session_expiry_interval = 0;
    peer.feed(disc);
    CHECK(delivered(peer.out).size() == 1);
    CHECK(close_reason(peer.out) == Reason::success);
  }
}

TEST_CASE("PUBLISH with a wildcard in the topic name: v5 DISCONNECT 0x90", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  peer.feed(make_publish("a/+/b", 0, 0));
  CHECK(delivered(peer.out).empty());
  CHECK(std::get<Disconnect>(peer.only_sent()).reason == Reason::topic_name_invalid);
  CHECK(close_reason(peer.out) == Reason::topic_name_invalid);
}

TEST_CASE("PUBLISH from a v5 client with a Subscription Identifier is a protocol error",
          "[connection]") {
  // "A PUBLISH packet sent from a Client to a Server MUST NOT contain a Subscription
  // Identifier" [MQTT-3.3.4-6]; a Protocol Error closes with DISCONNECT [MQTT-4.13.1-1].
  Peer peer(Version::v5);
  peer.establish();
  Publish pub = make_publish("t", 1, 1);
  pub.properties.subscription_identifiers = {5};
  peer.feed(pub);
  CHECK(delivered(peer.out).empty());
  auto sent = peer.sent();
  REQUIRE(sent.size() == 1);
  CHECK(std::get<Disconnect>(sent[0]).reason == Reason::protocol_error);
  CHECK(close_reason(peer.out) == Reason::protocol_error);
}

TEST_CASE("v5 PUBLISH with an empty topic and no alias: DISCONNECT 0x82", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  peer.feed(make_publish("", 0, 0));
  CHECK(delivered(peer.out).empty());
  const auto d = std::get<Disconnect>(peer.only_sent());
  CHECK(is_error(d.reason));
  CHECK(close_reason(peer.out) == d.reason);
}
