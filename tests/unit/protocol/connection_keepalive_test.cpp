// protocol::Connection: keep alive through timer actions and server-initiated disconnects.
#include "tests/unit/protocol/connection_test_util.hpp"

using namespace ferry::mqtt;
using namespace ferry::mqtt::test;

namespace {

constexpr std::uint32_t tick_ms(std::uint16_t keep_alive) {
  return keep_alive * 1500u / keep_alive_ticks;
}

/// Fires the keep alive timer; returns true when it was re-armed.
bool tick(Peer& peer) {
  peer.out.clear();
  peer.conn.on_timer(TimerKind::keep_alive, peer.out);
  auto t = timers(peer.out);
  if (t.empty()) {
    return false;
  }
  REQUIRE(t.size() == 1);
  CHECK(t[0].kind == TimerKind::keep_alive);
  CHECK(t[0].ms == tick_ms(peer.conn.keep_alive()));
  return true;
}

}  // namespace

TEST_CASE("keep alive timer re-arms while the client is active", "[connection]") {
  Version v = GENERATE(Version::v3_1_1, Version::v5);
  Peer peer(v);
  peer.send_connect(peer.connect_packet(2));
  peer.out.clear();
  peer.accept();
  auto t = timers(peer.out);
  REQUIRE(t.size() == 1);
  CHECK(t[0].kind == TimerKind::keep_alive);
  CHECK(t[0].ms == 375);
  for (int i = 0; i < 3 * keep_alive_ticks; ++i) {
    peer.out.clear();
    peer.feed(Pingreq{});
    REQUIRE(tick(peer));
    REQUIRE_FALSE(close_reason(peer.out));
  }
}

TEST_CASE("keep alive expires after keep_alive_ticks idle ticks", "[connection]") {
  SECTION("v5: DISCONNECT 0x8D and Close") {
    Peer peer(Version::v5);
    peer.establish(2);
    REQUIRE(tick(peer));  // consumes the CONNECT's activity
    for (int i = 1; i < keep_alive_ticks; ++i) {
      INFO("idle tick " << i);
      REQUIRE(tick(peer));
      REQUIRE(peer.out.bytes.empty());
    }
    CHECK_FALSE(tick(peer));
    CHECK(std::get<Disconnect>(peer.only_sent()).reason == Reason::keep_alive_timeout);
    CHECK(close_reason(peer.out) == Reason::keep_alive_timeout);
    CHECK(peer.conn.closing());
  }
  SECTION("3.1.1: Close only") {
    Peer peer(Version::v3_1_1);
    peer.establish(2);
    REQUIRE(tick(peer));
    for (int i = 1; i < keep_alive_ticks; ++i) {
      REQUIRE(tick(peer));
    }
    CHECK_FALSE(tick(peer));
    CHECK(peer.out.bytes.empty());
    CHECK(close_reason(peer.out) == Reason::keep_alive_timeout);
  }
}

TEST_CASE("one packet during the idle ticks restarts the count", "[connection]") {
  Peer peer(Version::v5);
  peer.establish(4);
  REQUIRE(tick(peer));
  for (int i = 1; i < keep_alive_ticks; ++i) {
    REQUIRE(tick(peer));
  }
  peer.out.clear();
  peer.feed(Pingreq{});
  REQUIRE(tick(peer));  // consumes the activity
  for (int i = 1; i < keep_alive_ticks; ++i) {
    REQUIRE(tick(peer));
  }
  CHECK_FALSE(tick(peer));
  CHECK(close_reason(peer.out) == Reason::keep_alive_timeout);
}

TEST_CASE("idle time before keep alive closes is 1.5x keep alive [MQTT-3.1.2-22]", "[connection]") {
  // keep_alive_ticks idle ticks of 1.5 * K / keep_alive_ticks each: exactly 1.5 K.
  const std::uint16_t k = 10;
  Peer peer(Version::v5);
  peer.establish(k);
  REQUIRE(tick(peer));
  std::uint32_t idle_ms = 0;
  while (tick(peer)) {
    idle_ms += tick_ms(k);
    REQUIRE(idle_ms < 2 * k * 1000u);
  }
  idle_ms += tick_ms(k);
  CHECK(idle_ms == k * 1500u);
}

TEST_CASE("a client trickling bytes of a never-completed packet is not kept alive",
          "[connection]") {
  // "If the Keep Alive value is non-zero and the Server does not receive an MQTT Control
  // Packet from the Client within one and a half times the Keep Alive time period, it
  // MUST close the Network Connection" [MQTT-3.1.2-22]. Single bytes of a PUBLISH that
  // never completes are not a Control Packet.
  Peer peer(Version::v5);
  peer.establish(2);
  REQUIRE(tick(peer));
  const std::string publish = wire_of(make_publish("t", 0, 0, std::string(200, 'x')), Version::v5);
  std::size_t at = 0;
  bool closed = false;
  for (int i = 0; i < 2 * keep_alive_ticks && !closed; ++i) {
    peer.feed_raw(std::string_view(publish).substr(at++, 1));
    closed = !tick(peer);
  }
  CHECK(closed);
  CHECK(close_reason(peer.out) == Reason::keep_alive_timeout);
}

TEST_CASE("timers after Close do nothing", "[connection]") {
  Peer peer(Version::v5);
  peer.establish(2);
  peer.conn.disconnect(Reason::administrative_action, peer.out);
  peer.out.clear();
  peer.conn.on_timer(TimerKind::keep_alive, peer.out);
  peer.conn.on_timer(TimerKind::connect, peer.out);
  CHECK(peer.out.events.empty());
  CHECK(peer.out.bytes.empty());
}

TEST_CASE("disconnect(server_shutting_down)", "[connection]") {
  SECTION("v5: DISCONNECT 0x8B then Close") {
    Peer peer(Version::v5);
    peer.establish();
    peer.conn.disconnect(Reason::server_shutting_down, peer.out);
    CHECK(peer.out.bytes.flatten() ==
          std::string{static_cast<char>(0xE0), 0x01, static_cast<char>(0x8B)});
    CHECK(close_reason(peer.out) == Reason::server_shutting_down);
    CHECK(peer.conn.closing());
  }
  SECTION("3.1.1: Close with no bytes") {
    Peer peer(Version::v3_1_1);
    peer.establish();
    peer.conn.disconnect(Reason::server_shutting_down, peer.out);
    CHECK(peer.out.bytes.empty());
    CHECK(close_reason(peer.out) == Reason::server_shutting_down);
  }
  SECTION("v5 before CONNACK: no DISCONNECT [MQTT-3.14.0-1]") {
    Peer peer(Version::v5);
    peer.send_connect(peer.connect_packet());
    peer.out.clear();
    peer.conn.disconnect(Reason::server_shutting_down, peer.out);
    CHECK(peer.out.bytes.empty());
    CHECK(close_reason(peer.out) == Reason::server_shutting_down);
  }
}

TEST_CASE("disconnect() twice closes once and later input is ignored", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  peer.conn.disconnect(Reason::session_taken_over, peer.out);
  peer.conn.disconnect(Reason::server_shutting_down, peer.out);
  CHECK(close_reason(peer.out) == Reason::session_taken_over);
  CHECK(std::get<Disconnect>(peer.only_sent()).reason == Reason::session_taken_over);
  peer.out.clear();
  peer.feed(Pingreq{});
  peer.feed(make_publish("t", 1, 1));
  CHECK(peer.out.bytes.empty());
  CHECK(peer.out.events.empty());
}

TEST_CASE("send() after Close writes nothing", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  peer.feed(make_publish("t", 1, 1));
  peer.conn.disconnect(Reason::server_shutting_down, peer.out);
  peer.out.clear();
  peer.conn.send(Puback{{1}}, peer.out);
  CHECK(peer.out.bytes.empty());
}

TEST_CASE("detach() hands back the session state", "[connection]") {
  Peer peer(Version::v5);
  peer.establish();
  REQUIRE(peer.publish(make_message("t", "x"), 1) == Offer::sent);
  CHECK(peer.conn.detach() == &peer.state);
  CHECK(peer.conn.detach() == nullptr);
  CHECK(peer.state.inflight.size() == 1);
  // Acks after detach no longer touch the state.
  peer.feed(Puback{{peer.state.inflight.front().packet_id}});
  CHECK(peer.state.inflight.size() == 1);
}
