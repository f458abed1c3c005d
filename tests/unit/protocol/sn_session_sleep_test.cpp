// GatewaySession and sleeping clients [MQTT-SN 6.14]: DISCONNECT with Duration, buffered
// messages, PINGREQ wake-ups, CONNECT back to active, and the sleep timer.
#include "tests/unit/protocol/sn_test_util.hpp"

namespace ferry::sn::test {
namespace {

/// Connected as "c1", with "t" registered by the client, then asleep for 100 s.
std::uint16_t asleep(Harness& h) {
  h.connect("c1", 60);
  std::uint16_t id = only_sent<Regack>(h.feed(Register{0, 1, "t"})).topic_id;
  Actions a = h.feed(Disconnect{100});
  CHECK(only_sent<Disconnect>(a) == Disconnect{});
  CHECK(delivered(a).empty());
  CHECK_FALSE(close_reason(a));
  CHECK(timers(a) == std::vector<StartTimer>{{TimerKind::sleep, 150000}});
  CHECK(h.session->asleep());
  CHECK(h.session->connected());
  return id;
}

TEST_CASE("sn sleep: messages are buffered while asleep", "[sn]") {
  Harness h;
  asleep(h);
  Actions a;
  CHECK(h.offer(message("t", "1"), 0, a) == mqtt::Offer::queued);
  CHECK(h.offer(message("t", "2"), 1, a) == mqtt::Offer::queued);
  CHECK(a.datagrams.empty());
  CHECK(h.state.queue.size() == 2);
  // Keep alive and retries pause while asleep.
  CHECK(h.timer(TimerKind::keep_alive).events.empty());
  CHECK(h.timer(TimerKind::retry).events.empty());
}

TEST_CASE("sn sleep: PINGREQ with nothing buffered is answered, still asleep", "[sn]") {
  Harness h;
  asleep(h);
  Actions a = h.feed(Pingreq{"c1"});
  CHECK(sent_types(a) == std::vector<MsgType>{MsgType::pingresp});
  CHECK(timers(a) == std::vector<StartTimer>{{TimerKind::sleep, 150000}});
  CHECK(h.session->asleep());
}

TEST_CASE("sn sleep: PINGREQ wakes the client for its buffered messages", "[sn]") {
  Harness h;
  std::uint16_t id = asleep(h);
  Actions q;
  h.offer(message("t", "a"), 0, q);
  h.offer(message("t", "b"), 1, q);
  h.offer(message("t", "c"), 0, q);

  Actions wake = h.feed(Pingreq{"c1"});
  auto messages = sent(wake);
  REQUIRE(messages.size() == 2);  // QoS 0, then the QoS 1 fills the window
  CHECK(std::get<Publish>(messages[0]).data == "a");
  Publish b = std::get<Publish>(messages[1]);
  CHECK(b.data == "b");
  CHECK_FALSE(h.session->asleep());

  Actions acked = h.feed(Puback{id, b.msg_id, ReturnCode::accepted});
  messages = sent(acked);
  REQUIRE(messages.size() == 2);  // the rest, then PINGRESP: asleep again
  CHECK(std::get<Publish>(messages[0]).data == "c");
  CHECK(type_of(messages[1]) == MsgType::pingresp);
  CHECK(has_timer(acked, TimerKind::sleep));
  CHECK(h.session->asleep());
}

TEST_CASE("sn sleep: a wake-up REGISTERs topics first", "[sn]") {
  Harness h;
  asleep(h);
  Actions q;
  h.offer(message("new/topic", "x"), 0, q);
  CHECK(q.datagrams.empty());
  Register reg = only_sent<Register>(h.feed(Pingreq{"c1"}));
  Actions r = h.feed(Regack{reg.topic_id, reg.msg_id, ReturnCode::accepted});
  CHECK(sent_types(r) == std::vector<MsgType>{MsgType::publish, MsgType::pingresp});
  CHECK(h.session->asleep());
}

TEST_CASE("sn sleep: PINGREQ with another client id is ignored", "[sn]") {
  Harness h;
  asleep(h);
  Actions a = h.feed(Pingreq{"someone-else"});
  CHECK(a.datagrams.empty());
  CHECK(h.session->stats().unexpected == 1);
  CHECK(h.session->asleep());
}

TEST_CASE("sn sleep: no PINGREQ within 1.5 x Duration: lost", "[sn]") {
  Harness h;
  asleep(h);
  Actions a = h.timer(TimerKind::sleep);
  CHECK(close_reason(a) == mqtt::Reason::keep_alive_timeout);
  CHECK(delivered(a).empty());  // not a DISCONNECT: the broker publishes the will
}

TEST_CASE("sn sleep: a sleep timer while awake or active is ignored", "[sn]") {
  Harness h;
  asleep(h);
  h.feed(Connect{Flags{}, 60, "c1"});
  CHECK(h.timer(TimerKind::sleep).events.empty());
}

TEST_CASE("sn sleep: CONNECT while asleep makes the client active", "[sn]") {
  Harness h;
  std::uint16_t id = asleep(h);
  Actions q;
  h.offer(message("t", "1"), 0, q);
  Connect c;
  c.duration = 30;
  c.client_id = "c1";
  Actions a = h.feed(c);
  CHECK(delivered(a).empty());
  auto messages = sent(a);
  REQUIRE(messages.size() == 2);
  CHECK(std::get<Connack>(messages[0]).return_code == ReturnCode::accepted);
  CHECK(std::get<Publish>(messages[1]) == Publish{qos_flags(0), id, 0, "1"});
  CHECK(has_timer(a, TimerKind::keep_alive));
  CHECK_FALSE(h.session->asleep());
  Actions now;
  CHECK(h.offer(message("t", "2"), 0, now) == mqtt::Offer::sent);
}

TEST_CASE("sn sleep: DISCONNECT without Duration while asleep ends the session", "[sn]") {
  Harness h;
  asleep(h);
  Actions a = h.feed(Disconnect{});
  CHECK(only_delivered<mqtt::Disconnect>(a).reason == mqtt::Reason::success);
  CHECK(close_reason(a) == mqtt::Reason::success);
}

TEST_CASE("sn sleep: a repeated sleep DISCONNECT restarts the sleep timer", "[sn]") {
  Harness h;
  asleep(h);
  Actions a = h.feed(Disconnect{20});
  CHECK(only_sent<Disconnect>(a) == Disconnect{});
  CHECK(timers(a) == std::vector<StartTimer>{{TimerKind::sleep, 30000}});
}

TEST_CASE("sn sleep: the buffer is bounded", "[sn]") {
  Harness h;
  h.limits.max_queued_messages = 3;
  asleep(h);
  Actions a;
  for (int i = 0; i < 3; ++i) {
    CHECK(h.offer(message("t", "m"), 1, a) == mqtt::Offer::queued);
  }
  CHECK(h.offer(message("t", "m"), 1, a) == mqtt::Offer::dropped_queue_full);
}

TEST_CASE("sn sleep: an unanswered message while awake is retried, then the client is lost",
          "[sn]") {
  Harness h;
  h.limits.max_retries = 1;
  asleep(h);
  Actions q;
  h.offer(message("t", "1"), 1, q);
  h.feed(Pingreq{"c1"});
  CHECK(only_sent<Publish>(h.timer(TimerKind::retry)).flags.dup);
  CHECK(close_reason(h.timer(TimerKind::retry)) == mqtt::Reason::keep_alive_timeout);
}

TEST_CASE("sn sleep: a message in flight when the client fell asleep is resent on wake", "[sn]") {
  Harness h;
  h.connect("c1", 60);
  std::uint16_t id = only_sent<Regack>(h.feed(Register{0, 1, "t"})).topic_id;
  Actions a;
  h.offer(message("t", "1"), 1, a);
  Publish p = only_sent<Publish>(a);
  h.feed(Disconnect{100});
  Publish again = only_sent<Publish>(h.feed(Pingreq{"c1"}));
  CHECK(again.flags.dup);
  CHECK(again.msg_id == p.msg_id);
  Actions done = h.feed(Puback{id, p.msg_id, ReturnCode::accepted});
  CHECK(sent_types(done) == std::vector<MsgType>{MsgType::pingresp});
}

}  // namespace
}  // namespace ferry::sn::test
