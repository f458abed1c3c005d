// protocol::Connection: the CONNECT phase, CONNACK contents, refusals and the connect timer.
#include "tests/unit/protocol/connection_test_util.hpp"

using namespace ferry::mqtt;
using namespace ferry::mqtt::test;

namespace {

const Version k_versions[] = {Version::v3_1_1, Version::v5};

}  // namespace

TEST_CASE("start() emits StartTimer{connect} with the configured timeout", "[connection]") {
  ConnectionLimits limits;
  limits.connect_timeout_ms = 4321;
  Peer peer(Version::v5, limits);
  peer.conn.start(peer.out);
  auto t = timers(peer.out);
  REQUIRE(t.size() == 1);
  CHECK(t[0].kind == TimerKind::connect);
  CHECK(t[0].ms == 4321);
  CHECK(peer.out.bytes.empty());
  CHECK_FALSE(close_reason(peer.out));
}

TEST_CASE("connect timer before CONNECT closes without bytes", "[connection]") {
  Peer peer(Version::v3_1_1);
  peer.conn.start(peer.out);
  peer.out.clear();
  peer.conn.on_timer(TimerKind::connect, peer.out);
  CHECK(close_reason(peer.out) == Reason::maximum_connect_time);
  CHECK(peer.out.bytes.empty());
  CHECK(peer.conn.closing());
  // Nothing is processed afterwards.
  peer.out.clear();
  peer.feed(peer.connect_packet());
  CHECK(peer.out.events.empty());
  CHECK(peer.out.bytes.empty());
}

TEST_CASE("connect timer after CONNECT arrived does nothing", "[connection]") {
  Peer peer(Version::v5);
  peer.send_connect(peer.connect_packet());
  peer.out.clear();
  peer.conn.on_timer(TimerKind::connect, peer.out);
  CHECK(peer.out.events.empty());
  peer.accept();
  peer.out.clear();
  peer.conn.on_timer(TimerKind::connect, peer.out);
  CHECK(peer.out.events.empty());
  CHECK(peer.conn.connected());
}

TEST_CASE("first packet other than CONNECT closes without CONNACK", "[connection]") {
  Version v = GENERATE(Version::v3_1_1, Version::v5);
  bool ping = GENERATE(true, false);
  INFO("version " << static_cast<int>(v) << (ping ? " PINGREQ" : " PUBLISH"));
  Peer peer(v);
  peer.conn.start(peer.out);
  peer.out.clear();
  if (ping) {
    peer.feed(Pingreq{});
  } else {
    peer.feed(make_publish("a/b", 0, 0));
  }
  CHECK(peer.out.bytes.empty());
  CHECK(delivered(peer.out).empty());
  CHECK(close_reason(peer.out) == Reason::protocol_error);
}

TEST_CASE("CONNECT is delivered and nothing is written before accept", "[connection]") {
  for (Version v : k_versions) {
    INFO("version " << static_cast<int>(v));
    Peer peer(v);
    Connect c = peer.connect_packet(30);
    c.username = "user";
    c.password = "pw";
    peer.send_connect(c);
    auto d = delivered(peer.out);
    REQUIRE(d.size() == 1);
    const auto& got = std::get<Connect>(d[0]);
    CHECK(got.client_id == "client-1");
    CHECK(got.username == std::optional<std::string>("user"));
    CHECK(got.keep_alive == 30);
    CHECK(got.version == v);
    CHECK(peer.out.bytes.empty());
    CHECK_FALSE(close_reason(peer.out));
    CHECK_FALSE(peer.conn.connected());
    CHECK(peer.conn.version() == v);
  }
}

TEST_CASE("second CONNECT after CONNACK is a protocol error", "[connection]") {
  SECTION("v5: DISCONNECT 0x82 then Close") {
    Peer peer(Version::v5);
    peer.establish();
    peer.feed(peer.connect_packet());
    auto sent = peer.sent();
    REQUIRE(sent.size() == 1);
    CHECK(std::get<Disconnect>(sent[0]).reason == Reason::protocol_error);
    CHECK(close_reason(peer.out) == Reason::protocol_error);
    CHECK(delivered(peer.out).empty());
  }
  SECTION("3.1.1: Close with no bytes") {
    Peer peer(Version::v3_1_1);
    peer.establish();
    peer.feed(peer.connect_packet());
    CHECK(peer.out.bytes.empty());
    CHECK(close_reason(peer.out) == Reason::protocol_error);
    CHECK(delivered(peer.out).empty());
  }
}

TEST_CASE("accept() on 3.1.1 writes CONNACK 0 with session present flag", "[connection]") {
  bool present = GENERATE(false, true);
  Peer peer(Version::v3_1_1);
  peer.send_connect(peer.connect_packet(60));
  peer.out.clear();
  peer.accept(present);
  std::string expected = {0x20, 0x02, static_cast<char>(present ? 1 : 0), 0x00};
  CHECK(peer.out.bytes.flatten() == expected);
  auto t = timers(peer.out);
  REQUIRE(t.size() == 1);
  CHECK(t[0].kind == TimerKind::keep_alive);
  CHECK(t[0].ms == 60u * 1500u / keep_alive_ticks);
  CHECK(peer.conn.connected());
  CHECK(peer.conn.keep_alive() == 60);
}

TEST_CASE("accept() on 3.1.1 with keep alive 0 starts no keep alive timer", "[connection]") {
  Peer peer(Version::v3_1_1);
  peer.send_connect(peer.connect_packet(0));
  peer.out.clear();
  peer.accept();
  CHECK(timers(peer.out).empty());
  CHECK(peer.conn.keep_alive() == 0);
}

TEST_CASE("accept() on v5 announces the server limits in CONNACK", "[connection]") {
  ConnectionLimits limits;
  limits.receive_maximum = 20;
  limits.max_packet_size = 4096;
  limits.topic_alias_maximum = 7;
  limits.max_keepalive = 120;
  Peer peer(Version::v5, limits);
  peer.send_connect(peer.connect_packet(60));
  peer.out.clear();
  Properties extra;
  extra.assigned_client_identifier = "assigned";
  peer.accept(true, extra);
  const auto ack = std::get<Connack>(peer.only_sent());
  CHECK(ack.reason == Reason::success);
  CHECK(ack.session_present);
  CHECK(ack.properties.receive_maximum == std::optional<std::uint16_t>(20));
  CHECK(ack.properties.maximum_packet_size == std::optional<std::uint32_t>(4096));
  CHECK(ack.properties.topic_alias_maximum == std::optional<std::uint16_t>(7));
  CHECK(ack.properties.server_keep_alive == std::optional<std::uint16_t>(60));
  CHECK(ack.properties.assigned_client_identifier == std::optional<std::string>("assigned"));
  auto t = timers(peer.out);
  REQUIRE(t.size() == 1);
  CHECK(t[0].kind == TimerKind::keep_alive);
  CHECK(t[0].ms == 60u * 1500u / keep_alive_ticks);
}

TEST_CASE("accept() on v5 with default limits omits defaults", "[connection]") {
  ConnectionLimits limits;
  limits.topic_alias_maximum = 0;
  Peer peer(Version::v5, limits);
  peer.send_connect(peer.connect_packet(10));
  peer.out.clear();
  peer.accept();
  const auto ack = std::get<Connack>(peer.only_sent());
  CHECK_FALSE(ack.session_present);
  CHECK_FALSE(ack.properties.receive_maximum);  // 65535 is the default [MQTT 3.2.2.3.3]
  CHECK_FALSE(ack.properties.maximum_packet_size);
  CHECK_FALSE(ack.properties.topic_alias_maximum);  // absent means 0 [MQTT 3.2.2.3.8]
}

TEST_CASE("v5 keep alive 0 or above max_keepalive is replaced by Server Keep Alive",
          "[connection]") {
  ConnectionLimits limits;
  limits.max_keepalive = 100;
  std::uint16_t asked = GENERATE(std::uint16_t{0}, std::uint16_t{101}, std::uint16_t{65535});
  INFO("client keep alive " << asked);
  Peer peer(Version::v5, limits);
  peer.send_connect(peer.connect_packet(asked));
  peer.out.clear();
  peer.accept();
  const auto ack = std::get<Connack>(peer.only_sent());
  CHECK(ack.properties.server_keep_alive == std::optional<std::uint16_t>(100));
  CHECK(peer.conn.keep_alive() == 100);
  auto t = timers(peer.out);
  REQUIRE(t.size() == 1);
  CHECK(t[0].ms == 100u * 1500u / keep_alive_ticks);
}

TEST_CASE("3.1.1 keep alive above max_keepalive is kept (no Server Keep Alive in 3.x)",
          "[connection]") {
  ConnectionLimits limits;
  limits.max_keepalive = 100;
  Peer peer(Version::v3_1_1, limits);
  peer.send_connect(peer.connect_packet(500));
  peer.out.clear();
  peer.accept();
  CHECK(peer.conn.keep_alive() == 500);
  CHECK(std::get<Connack>(peer.only_sent()).reason == Reason::success);
}

TEST_CASE("refuse(not_authorized) maps to the version's CONNACK code and closes", "[connection]") {
  SECTION("3.1.1: return code 5") {
    Peer peer(Version::v3_1_1);
    peer.send_connect(peer.connect_packet());
    peer.out.clear();
    peer.conn.refuse(Reason::not_authorized, peer.out);
    CHECK(peer.out.bytes.flatten() == std::string{0x20, 0x02, 0x00, 0x05});
    CHECK(close_reason(peer.out) == Reason::not_authorized);
  }
  SECTION("v5: reason 0x87") {
    Peer peer(Version::v5);
    peer.send_connect(peer.connect_packet());
    peer.out.clear();
    peer.conn.refuse(Reason::not_authorized, peer.out);
    const auto ack = std::get<Connack>(peer.only_sent());
    CHECK(ack.reason == Reason::not_authorized);
    CHECK_FALSE(ack.session_present);
    CHECK(close_reason(peer.out) == Reason::not_authorized);
    CHECK(peer.conn.closing());
  }
}

TEST_CASE("refused CONNECT: later bytes are not processed [MQTT-3.1.4-5]", "[connection]") {
  Peer peer(Version::v5);
  peer.send_connect(peer.connect_packet());
  peer.conn.refuse(Reason::bad_user_name_or_password, peer.out);
  peer.out.clear();
  peer.feed(Pingreq{});
  peer.feed(make_publish("a", 1, 1));
  CHECK(peer.out.bytes.empty());
  CHECK(peer.out.events.empty());
}

TEST_CASE("unsupported protocol level gets CONNACK 0x01 on 3.x and Close", "[connection]") {
  // "MQTT", level 3: not a valid pairing [MQTT-3.1.2-2].
  std::string body = {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x03, 0x02, 0x00, 0x3C, 0x00, 0x01, 'c'};
  std::string bytes = {0x10, static_cast<char>(body.size())};
  bytes += body;
  Peer peer(Version::v3_1_1);
  peer.conn.start(peer.out);
  peer.out.clear();
  peer.feed_raw(bytes);
  CHECK(peer.out.bytes.flatten() == std::string{0x20, 0x02, 0x00, 0x01});
  CHECK(close_reason(peer.out) == Reason::unsupported_protocol_version);
  CHECK(delivered(peer.out).empty());
}

TEST_CASE("v5 CONNECT with Receive Maximum 0 is refused with protocol error", "[connection]") {
  // Built by hand: the encoder may refuse to write a 0 it would never send.
  std::string body = {0x00, 0x04, 'M',  'Q',  'T',  'T',  0x05,
                      0x02, 0x00, 0x3C, 0x03, 0x21, 0x00, 0x00,  // properties: Receive Maximum = 0
                      0x00, 0x01, 'c'};
  std::string bytes = {0x10, static_cast<char>(body.size())};
  bytes += body;
  Peer peer(Version::v5);
  peer.conn.start(peer.out);
  peer.out.clear();
  peer.feed_raw(bytes);
  const auto ack = std::get<Connack>(peer.only_sent());
  CHECK(ack.reason == Reason::protocol_error);
  CHECK(close_reason(peer.out) == Reason::protocol_error);
  CHECK(delivered(peer.out).empty());
}

TEST_CASE("v5 CONNECT with an authentication method is refused with 0x8C", "[connection]") {
  Properties props;
  props.authentication_method = "SCRAM-SHA-1";
  Peer peer(Version::v5);
  peer.conn.start(peer.out);
  peer.out.clear();
  peer.feed(peer.connect_packet(10, props));
  const auto ack = std::get<Connack>(peer.only_sent());
  CHECK(ack.reason == Reason::bad_authentication_method);
  CHECK(close_reason(peer.out) == Reason::bad_authentication_method);
  CHECK(delivered(peer.out).empty());
}

TEST_CASE("malformed v5 CONNECT gets CONNACK 0x81; 3.1.1 just closes", "[connection]") {
  // Reserved flag bit 0 of Connect Flags set [MQTT-3.1.2-3].
  SECTION("v5") {
    std::string body = {0x00, 0x04, 'M',  'Q',  'T',  'T',  0x05,
                        0x03, 0x00, 0x3C, 0x00, 0x00, 0x01, 'c'};
    std::string bytes = {0x10, static_cast<char>(body.size())};
    bytes += body;
    Peer peer(Version::v5);
    peer.feed_raw(bytes);
    const auto ack = std::get<Connack>(peer.only_sent());
    CHECK(ack.reason == Reason::malformed_packet);
    CHECK(close_reason(peer.out) == Reason::malformed_packet);
  }
  SECTION("3.1.1") {
    std::string body = {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x03, 0x00, 0x3C, 0x00, 0x01, 'c'};
    std::string bytes = {0x10, static_cast<char>(body.size())};
    bytes += body;
    Peer peer(Version::v3_1_1);
    peer.feed_raw(bytes);
    CHECK(peer.out.bytes.empty());
    CHECK(close_reason(peer.out).has_value());
    CHECK(delivered(peer.out).empty());
  }
}

TEST_CASE("CONNECT records the client's Session Expiry Interval", "[connection]") {
  Properties props;
  props.session_expiry_interval = 300;
  Peer peer(Version::v5);
  peer.send_connect(peer.connect_packet(10, props));
  CHECK(peer.conn.session_expiry_at_connect() == 300);
}

TEST_CASE("packets pipelined after CONNECT are handled after accept [MQTT 3.1.4]", "[connection]") {
  // "Clients are permitted to send further Control Packets immediately after sending a
  // CONNECT packet; Clients need not wait for a CONNACK" (3.1.1 and 5.0, section 3.1.4).
  // CONNACK must still be the first packet the server sends [MQTT-3.2.0-1].
  for (Version v : k_versions) {
    INFO("version " << static_cast<int>(v));
    Peer peer(v);
    peer.conn.start(peer.out);
    peer.feed_raw(wire_of(peer.connect_packet(), v) + wire_of(Pingreq{}, v));
    CHECK_FALSE(close_reason(peer.out));
    CHECK(peer.out.bytes.empty());
    peer.accept();
    peer.conn.on_bytes({}, peer.out);
    CHECK_FALSE(close_reason(peer.out));
    auto types = types_of(peer.sent());
    CHECK(types == std::vector<PacketType>{PacketType::connack, PacketType::pingresp});
  }
}

TEST_CASE("3.1.1 empty client id without clean session: CONNACK 0x02 [MQTT-3.1.3-8]",
          "[connection]") {
  Peer peer(Version::v3_1_1);
  Connect c = peer.connect_packet();
  c.client_id.clear();
  c.clean_start = false;
  peer.conn.start(peer.out);
  peer.out.clear();
  peer.feed(c);
  CHECK(peer.out.bytes.flatten() == std::string{0x20, 0x02, 0x00, 0x02});
  CHECK(close_reason(peer.out) == Reason::client_identifier_not_valid);
  CHECK(delivered(peer.out).empty());
}

TEST_CASE("3.1 (MQIsdp) CONNECT is accepted with a 3.1 CONNACK", "[connection]") {
  Peer peer(Version::v3_1);
  peer.send_connect(peer.connect_packet(30));
  auto d = delivered(peer.out);
  REQUIRE(d.size() == 1);
  CHECK(std::get<Connect>(d[0]).version == Version::v3_1);
  peer.out.clear();
  peer.accept();
  CHECK(peer.out.bytes.flatten() == std::string{0x20, 0x02, 0x00, 0x00});
  CHECK(peer.conn.version() == Version::v3_1);
}

TEST_CASE("\"MQTT\" level above 5 gets a v5 CONNACK 0x84 [MQTT-3.1.2-2]", "[connection]") {
  std::string body = {0x00, 0x04, 'M',  'Q',  'T',  'T',  0x06,
                      0x02, 0x00, 0x3C, 0x00, 0x00, 0x01, 'c'};
  std::string bytes = {0x10, static_cast<char>(body.size())};
  bytes += body;
  Peer peer(Version::v5);
  peer.feed_raw(bytes);
  const auto ack = std::get<Connack>(peer.only_sent());
  CHECK(ack.reason == Reason::unsupported_protocol_version);
  CHECK(close_reason(peer.out) == Reason::unsupported_protocol_version);
  CHECK(delivered(peer.out).empty());
}
