// GatewaySession life cycle: CONNECT and the will dialogue, accept/refuse, keep alive,
// PINGREQ, DISCONNECT, will updates, malformed input, forwarders.
#include "tests/unit/protocol/sn_test_util.hpp"

namespace ferry::sn::test {
namespace {

Connect connect_msg(std::string id, std::uint16_t duration, bool will, bool clean = true) {
  Connect c;
  c.flags.will = will;
  c.flags.clean_session = clean;
  c.duration = duration;
  c.client_id = std::move(id);
  return c;
}

TEST_CASE("sn session: start arms the connect timer, which closes a silent client", "[sn]") {
  Harness h;
  Actions a = h.start();
  REQUIRE(timers(a) == std::vector<StartTimer>{{TimerKind::connect, 10000}});
  Actions t = h.timer(TimerKind::connect);
  CHECK(close_reason(t) == mqtt::Reason::maximum_connect_time);
}

TEST_CASE("sn session: CONNECT without will is delivered, accept sends CONNACK", "[sn]") {
  Harness h;
  h.start();
  Actions a = h.feed(connect_msg("sensor-1", 60, false, false));
  CHECK(a.datagrams.empty());
  auto c = only_delivered<mqtt::Connect>(a);
  CHECK(c.version == mqtt::Version::v3_1_1);
  CHECK(c.client_id == "sensor-1");
  CHECK(c.keep_alive == 60);
  CHECK_FALSE(c.clean_start);
  CHECK_FALSE(c.will);
  CHECK_FALSE(h.session->connected());

  Actions acc = h.accept();
  CHECK(only_sent<Connack>(acc).return_code == ReturnCode::accepted);
  CHECK(timers(acc) == std::vector<StartTimer>{{TimerKind::keep_alive, 60 * 1500 / 8}});
  CHECK(h.session->connected());
  CHECK(h.session->client_id() == "sensor-1");
  // The connect timer firing late changes nothing.
  CHECK(h.timer(TimerKind::connect).events.empty());
}

TEST_CASE("sn session: CONNECT with will runs WILLTOPICREQ/WILLMSGREQ first", "[sn]") {
  Harness h;
  h.start();
  Actions a = h.feed(connect_msg("c1", 30, true));
  CHECK(sent_types(a) == std::vector<MsgType>{MsgType::willtopicreq});
  CHECK(delivered(a).empty());

  a = h.feed(Willtopic{qos_flags(1, TopicIdType::normal, true), "status/c1"});
  CHECK(sent_types(a) == std::vector<MsgType>{MsgType::willmsgreq});
  CHECK(delivered(a).empty());

  a = h.feed(Willmsg{"offline"});
  CHECK(a.datagrams.empty());
  auto c = only_delivered<mqtt::Connect>(a);
  REQUIRE(c.will);
  CHECK(c.will->topic == "status/c1");
  CHECK(c.will->payload == "offline");
  CHECK(c.will->qos == 1);
  CHECK(c.will->retain);
  CHECK(c.clean_start);
  CHECK(c.keep_alive == 30);
}

TEST_CASE("sn session: an empty WILLTOPIC means no will", "[sn]") {
  Harness h;
  h.start();
  h.feed(connect_msg("c1", 30, true));
  Actions a = h.feed(Willtopic{});
  CHECK(a.datagrams.empty());
  CHECK_FALSE(only_delivered<mqtt::Connect>(a).will);
}

TEST_CASE("sn session: an invalid will topic is refused", "[sn]") {
  Harness h;
  h.start();
  h.feed(connect_msg("c1", 30, true));
  Actions a = h.feed(Willtopic{qos_flags(0), "bad/#"});
  CHECK(only_sent<Connack>(a).return_code == ReturnCode::not_supported);
  CHECK(close_reason(a) == mqtt::Reason::topic_name_invalid);
}

TEST_CASE("sn session: the will dialogue out of order is dropped and counted", "[sn]") {
  Harness h;
  h.start();
  Actions a = h.feed(Willmsg{"x"});
  CHECK(a.datagrams.empty());
  CHECK(a.events.empty());
  CHECK(h.session->stats().unexpected == 1);
  h.feed(connect_msg("c1", 30, true));
  CHECK(h.feed(Willmsg{"x"}).events.empty());  // WILLTOPIC comes first
  CHECK(h.session->stats().unexpected == 2);
}

TEST_CASE("sn session: the connect timer also bounds the will dialogue", "[sn]") {
  Harness h;
  h.start();
  h.feed(connect_msg("c1", 30, true));
  CHECK(close_reason(h.timer(TimerKind::connect)) == mqtt::Reason::maximum_connect_time);
}

TEST_CASE("sn session: refuse maps broker reasons to return codes", "[sn]") {
  auto refused = [](mqtt::Reason reason) {
    Harness h;
    h.start();
    h.feed(connect_msg("c1", 30, false));
    Actions a;
    h.session->refuse(reason, a);
    CHECK(close_reason(a) == reason);
    return only_sent<Connack>(a).return_code;
  };
  CHECK(refused(mqtt::Reason::server_busy) == ReturnCode::congestion);
  CHECK(refused(mqtt::Reason::server_unavailable) == ReturnCode::congestion);
  CHECK(refused(mqtt::Reason::not_authorized) == ReturnCode::not_supported);
  CHECK(refused(mqtt::Reason::client_identifier_not_valid) == ReturnCode::not_supported);
}

TEST_CASE("sn session: PINGREQ is answered while active", "[sn]") {
  Harness h;
  h.connect();
  CHECK(sent_types(h.feed(Pingreq{})) == std::vector<MsgType>{MsgType::pingresp});
}

TEST_CASE("sn session: keep alive closes after 1.5 x Duration of silence", "[sn]") {
  Harness h;
  h.connect("c1", 10);
  for (int i = 0; i < 7; ++i) {
    Actions t = h.timer(TimerKind::keep_alive);
    REQUIRE_FALSE(close_reason(t));
    REQUIRE(timers(t) == std::vector<StartTimer>{{TimerKind::keep_alive, 10 * 1500 / 8}});
  }
  h.feed(Pingreq{});  // activity resets the count
  for (int i = 0; i < 8; ++i) {
    REQUIRE_FALSE(close_reason(h.timer(TimerKind::keep_alive)));
  }
  Actions t;
  for (int i = 0; i < 8 && !close_reason(t); ++i) {
    t = h.timer(TimerKind::keep_alive);
  }
  CHECK(close_reason(t) == mqtt::Reason::keep_alive_timeout);
}

TEST_CASE("sn session: Duration 0 runs no keep alive", "[sn]") {
  Harness h;
  CHECK_FALSE(has_timer(h.connect("c1", 0), TimerKind::keep_alive));
}

TEST_CASE("sn session: DISCONNECT is delivered, answered and closes", "[sn]") {
  Harness h;
  h.connect();
  Actions a = h.feed(Disconnect{});
  CHECK(only_sent<Disconnect>(a) == Disconnect{});
  CHECK(only_delivered<mqtt::Disconnect>(a).reason == mqtt::Reason::success);
  CHECK(close_reason(a) == mqtt::Reason::success);
  CHECK(h.session->closing());
  CHECK(h.feed(Pingreq{}).datagrams.empty());  // nothing after the close
}

TEST_CASE("sn session: DISCONNECT before CONNECT just closes", "[sn]") {
  Harness h;
  h.start();
  Actions a = h.feed(Disconnect{});
  CHECK(delivered(a).empty());
  CHECK(close_reason(a) == mqtt::Reason::success);
}

TEST_CASE("sn session: broker-initiated disconnect", "[sn]") {
  Harness h;
  h.connect();
  Actions a;
  h.session->disconnect(mqtt::Reason::administrative_action, a);
  CHECK(only_sent<Disconnect>(a) == Disconnect{});
  CHECK(close_reason(a) == mqtt::Reason::administrative_action);
  Actions b = h.broker_send(mqtt::Disconnect{});
  CHECK(b.datagrams.empty());
}

TEST_CASE("sn session: WILLTOPICUPD and WILLMSGUPD update the will", "[sn]") {
  Harness h;
  h.connect();
  Actions a = h.feed(Willtopicupd{qos_flags(2, TopicIdType::normal, true), "new/will"});
  CHECK(only_sent<Willtopicresp>(a).return_code == ReturnCode::accepted);
  REQUIRE(will_updates(a).size() == 1);
  CHECK(will_updates(a)[0] == WillUpdate{false, "new/will", 2, true, std::nullopt});

  a = h.feed(Willmsgupd{"gone"});
  CHECK(only_sent<Willmsgresp>(a).return_code == ReturnCode::accepted);
  CHECK(will_updates(a) == std::vector<WillUpdate>{{false, std::nullopt, 0, false, "gone"}});

  a = h.feed(Willtopicupd{});
  CHECK(only_sent<Willtopicresp>(a).return_code == ReturnCode::accepted);
  CHECK(will_updates(a) == std::vector<WillUpdate>{{true, std::nullopt, 0, false, std::nullopt}});

  a = h.feed(Willtopicupd{qos_flags(0), "a/+"});
  CHECK(only_sent<Willtopicresp>(a).return_code == ReturnCode::not_supported);
  CHECK(will_updates(a).empty());
}

TEST_CASE("sn session: malformed datagrams are dropped and counted", "[sn]") {
  Harness h;
  h.connect();
  for (const std::string& junk : {bytes({}), bytes({9, 0x16}), bytes({2, 0x03}),
                                  bytes({7, 0x0C, 0x03, 0, 1, 0, 0}), bytes({0x01, 0x00})}) {
    Actions a = h.feed_raw(junk);
    CHECK(a.datagrams.empty());
    CHECK(a.events.empty());
  }
  CHECK(h.session->stats().malformed == 5);
  CHECK(h.session->connected());
  CHECK(sent_types(h.feed(Pingreq{})) == std::vector<MsgType>{MsgType::pingresp});
}

TEST_CASE("sn session: messages before CONNACK are dropped and counted", "[sn]") {
  Harness h;
  h.start();
  Actions a = h.feed(Publish{qos_flags(1), 1, 1, "x"});
  CHECK(a.datagrams.empty());
  CHECK(a.events.empty());
  h.feed(connect_msg("c1", 30, false));
  CHECK(h.feed(Subscribe{qos_flags(0), 1, "a", 0}).events.empty());
  CHECK(h.feed(connect_msg("c1", 30, false)).events.empty());  // retransmitted CONNECT
  CHECK(h.session->stats().unexpected == 3);
}

TEST_CASE("sn session: gateway-to-client types from a client are dropped", "[sn]") {
  Harness h;
  h.connect();
  for (const Message& m : std::vector<Message>{Connack{}, Willtopicreq{}, Suback{}, Unsuback{},
                                               Pingresp{}, Advertise{}, Searchgw{}}) {
    Actions a = h.feed(m);
    CHECK(a.datagrams.empty());
  }
  CHECK(h.session->stats().unexpected == 7);
}

TEST_CASE("sn session: a client behind a forwarder gets encapsulated replies", "[sn]") {
  Harness h;
  h.via = Forwarder{0x01, bytes({0x12, 0x34})};
  h.start();
  std::string wrapped;
  REQUIRE(encapsulate(0x01, bytes({0x12, 0x34}), encode(connect_msg("fw", 30, false)), wrapped));
  CHECK(only_delivered<mqtt::Connect>(h.feed_raw(wrapped)).client_id == "fw");
  Actions a = h.accept();
  REQUIRE(a.datagrams.size() == 1);
  Decoded d = decode(a.datagrams[0]);
  REQUIRE(d.ok());
  const auto& e = std::get<Encapsulated>(d.message);
  CHECK(e.ctrl == 0x01);
  CHECK(e.node_id == bytes({0x12, 0x34}));
  CHECK(decode(e.message).message == Message{Connack{ReturnCode::accepted}});
}

TEST_CASE("sn session: CONNECT on an attached session is answered directly", "[sn]") {
  Harness h;
  h.connect("c1", 60);
  Actions a = h.feed(connect_msg("c1", 20, false));
  CHECK(delivered(a).empty());
  CHECK(only_sent<Connack>(a).return_code == ReturnCode::accepted);
  CHECK(h.session->keep_alive() == 20);

  // With a will: the dialogue runs again and ends in a will update, not a Connect.
  h.feed(connect_msg("c1", 20, true));
  h.feed(Willtopic{qos_flags(0), "w"});
  a = h.feed(Willmsg{"m"});
  CHECK(delivered(a).empty());
  CHECK(will_updates(a) == std::vector<WillUpdate>{{false, "w", 0, false, "m"}});
  CHECK(only_sent<Connack>(a).return_code == ReturnCode::accepted);
}

TEST_CASE("sn session: CONNECT with another client id ends the session", "[sn]") {
  Harness h;
  h.connect("c1");
  Actions a = h.feed(connect_msg("c2", 20, false));
  CHECK(close_reason(a) == mqtt::Reason::session_taken_over);
}

TEST_CASE("sn session: a client without an id keeps the broker's name across CONNECTs", "[sn]") {
  Harness h;
  h.connect("");
  h.session->set_client_id("ferry-assigned");      // the broker named it
  Actions a = h.feed(connect_msg("", 20, false));  // e.g. waking up [MQTT-SN 6.14]
  CHECK(close_reason(a) == std::nullopt);
  CHECK(only_sent<Connack>(a).return_code == ReturnCode::accepted);
  CHECK(h.session->client_id() == "ferry-assigned");
  a = h.feed(connect_msg("other", 20, false));  // a named client at this address
  CHECK(close_reason(a) == mqtt::Reason::session_taken_over);
}

}  // namespace
}  // namespace ferry::sn::test
