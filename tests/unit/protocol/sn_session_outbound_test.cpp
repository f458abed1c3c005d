// GatewaySession, broker to client: topic id choice, gateway REGISTER before delivery,
// QoS 0/1/2 with a window of one, retransmission and give-up.
#include "tests/unit/protocol/sn_test_util.hpp"

namespace ferry::sn::test {
namespace {

std::uint16_t client_register(Harness& h, const std::string& topic) {
  return only_sent<Regack>(h.feed(Register{0, 100, topic})).topic_id;
}

TEST_CASE("sn outbound: QoS 0 to a registered topic goes out at once", "[sn]") {
  Harness h;
  h.connect();
  std::uint16_t id = client_register(h, "t/1");
  Actions a;
  CHECK(h.offer(message("t/1", "hello"), 0, a) == mqtt::Offer::sent);
  Publish p = only_sent<Publish>(a);
  CHECK(p == Publish{qos_flags(0), id, 0, "hello"});
}

TEST_CASE("sn outbound: predefined ids and short names need no REGISTER", "[sn]") {
  Harness h;
  h.predefined->add(5, "cmd/all");
  h.connect();
  Actions a;
  h.offer(message("cmd/all", "x"), 0, a);
  h.offer(message("ab", "y"), 0, a);
  auto messages = sent(a);
  REQUIRE(messages.size() == 2);
  CHECK(std::get<Publish>(messages[0]) ==
        Publish{qos_flags(0, TopicIdType::predefined), 5, 0, "x"});
  CHECK(std::get<Publish>(messages[1]) ==
        Publish{qos_flags(0, TopicIdType::short_name), short_topic_id("ab"), 0, "y"});
}

TEST_CASE("sn outbound: a topic without an id is REGISTERed first", "[sn]") {
  Harness h;
  h.connect();
  h.feed(Subscribe{qos_flags(1), 1, "room/#", 0});
  h.broker_send(mqtt::Suback{1, {mqtt::Reason::granted_qos1}, {}});

  Actions a;
  CHECK(h.offer(message("room/kitchen", "21"), 1, a) == mqtt::Offer::queued);
  Register reg = only_sent<Register>(a);
  CHECK(reg.topic_name == "room/kitchen");
  CHECK(reg.topic_id != 0);
  CHECK(reg.msg_id != 0);
  CHECK(has_timer(a, TimerKind::retry));

  Actions more;  // a second message waits behind the REGISTER
  CHECK(h.offer(message("room/kitchen", "22"), 0, more) == mqtt::Offer::queued);
  CHECK(more.datagrams.empty());

  Actions acked = h.feed(Regack{reg.topic_id, reg.msg_id, ReturnCode::accepted});
  Publish p = only_sent<Publish>(acked);
  CHECK(p.topic_id == reg.topic_id);
  CHECK(p.flags.topic_id_type == TopicIdType::normal);
  CHECK(p.flags.qos == 1);
  CHECK(p.data == "21");

  Actions done = h.feed(Puback{reg.topic_id, p.msg_id, ReturnCode::accepted});
  CHECK(only_sent<Publish>(done) == Publish{qos_flags(0), reg.topic_id, 0, "22"});
  CHECK(h.state.queue.empty());
  CHECK(h.state.inflight.empty());

  Actions known;  // registered now: straight out
  CHECK(h.offer(message("room/kitchen", "23"), 0, known) == mqtt::Offer::sent);
}

TEST_CASE("sn outbound: a refused REGISTER drops the waiting message", "[sn]") {
  Harness h;
  h.connect();
  Actions a;
  h.offer(message("x/1", "a"), 1, a);
  h.offer(message("x/2", "b"), 0, a);
  Register reg = only_sent<Register>(a);
  Actions r = h.feed(Regack{0, reg.msg_id, ReturnCode::not_supported});
  Register next = only_sent<Register>(r);  // on to the next message
  CHECK(next.topic_name == "x/2");
  CHECK(h.session->stats().dropped == 1);
}

TEST_CASE("sn outbound: QoS 1 keeps one message in flight", "[sn]") {
  Harness h;
  h.connect();
  std::uint16_t id = client_register(h, "t");
  Actions a;
  CHECK(h.offer(message("t", "1"), 1, a) == mqtt::Offer::sent);
  CHECK(h.offer(message("t", "2"), 1, a) == mqtt::Offer::queued);
  CHECK(h.offer(message("t", "3"), 0, a) == mqtt::Offer::queued);
  Publish first = only_sent<Publish>(a);
  CHECK(first.data == "1");
  CHECK(first.msg_id != 0);
  CHECK(h.state.inflight.size() == 1);

  CHECK(h.feed(Puback{id, static_cast<std::uint16_t>(first.msg_id + 1), ReturnCode::accepted})
            .datagrams.empty());  // not the one in flight
  Publish second = only_sent<Publish>(h.feed(Puback{id, first.msg_id, ReturnCode::accepted}));
  CHECK(second.data == "2");
  CHECK(second.msg_id != first.msg_id);
  Publish third = only_sent<Publish>(h.feed(Puback{id, second.msg_id, ReturnCode::accepted}));
  CHECK(third.data == "3");
  CHECK(third.flags.qos == 0);
  CHECK(h.state.inflight.empty());
}

TEST_CASE("sn outbound: QoS 2 runs PUBLISH/PUBREC/PUBREL/PUBCOMP", "[sn]") {
  Harness h;
  h.connect();
  client_register(h, "t");
  Actions a;
  h.offer(message("t", "1"), 2, a);
  h.offer(message("t", "2"), 2, a);
  Publish p = only_sent<Publish>(a);
  CHECK(p.flags.qos == 2);
  Actions rec = h.feed(Pubrec{p.msg_id});
  CHECK(only_sent<Pubrel>(rec).msg_id == p.msg_id);
  CHECK(has_timer(rec, TimerKind::retry));
  CHECK(h.feed(Puback{0, p.msg_id, ReturnCode::accepted}).datagrams.empty());  // wrong ack
  Publish next = only_sent<Publish>(h.feed(Pubcomp{p.msg_id}));
  CHECK(next.data == "2");
}

TEST_CASE("sn outbound: retransmission with DUP, then give up", "[sn]") {
  Harness h;
  h.limits.max_retries = 2;
  h.connect();
  client_register(h, "t");
  Actions a;
  h.offer(message("t", "1"), 1, a);
  CHECK(timers(a) == std::vector<StartTimer>{{TimerKind::retry, 5000}});
  Publish p = only_sent<Publish>(a);
  for (int i = 0; i < 2; ++i) {
    Actions r = h.timer(TimerKind::retry);
    Publish again = only_sent<Publish>(r);
    CHECK(again.flags.dup);
    CHECK(again.msg_id == p.msg_id);
    CHECK(has_timer(r, TimerKind::retry));
  }
  CHECK(h.session->stats().retransmissions == 2);
  Actions last = h.timer(TimerKind::retry);
  CHECK(last.datagrams.empty());
  CHECK(close_reason(last) == mqtt::Reason::keep_alive_timeout);
}

TEST_CASE("sn outbound: PUBREL and REGISTER are retransmitted too", "[sn]") {
  Harness h;
  h.connect();
  Actions a;
  h.offer(message("q/2", "x"), 2, a);
  Register reg = only_sent<Register>(a);
  CHECK(only_sent<Register>(h.timer(TimerKind::retry)) == reg);
  Publish p = only_sent<Publish>(h.feed(Regack{reg.topic_id, reg.msg_id, ReturnCode::accepted}));
  h.feed(Pubrec{p.msg_id});
  CHECK(only_sent<Pubrel>(h.timer(TimerKind::retry)).msg_id == p.msg_id);
}

TEST_CASE("sn outbound: a stale retry timer does nothing", "[sn]") {
  Harness h;
  h.connect();
  std::uint16_t id = client_register(h, "t");
  Actions a;
  h.offer(message("t", "1"), 1, a);
  h.feed(Puback{id, only_sent<Publish>(a).msg_id, ReturnCode::accepted});
  Actions t = h.timer(TimerKind::retry);
  CHECK(t.datagrams.empty());
  CHECK(t.events.empty());
}

TEST_CASE("sn outbound: PUBACK invalid topic id forgets the registration", "[sn]") {
  Harness h;
  h.connect();
  std::uint16_t id = client_register(h, "t/x");
  Actions a;
  h.offer(message("t/x", "1"), 1, a);
  Publish p = only_sent<Publish>(a);
  h.feed(Puback{id, p.msg_id, ReturnCode::invalid_topic_id});
  CHECK(h.state.inflight.empty());
  Actions b;
  h.offer(message("t/x", "2"), 0, b);
  CHECK(only_sent<Register>(b).topic_name == "t/x");
}

TEST_CASE("sn outbound: accept resends in-flight messages after REGISTER", "[sn]") {
  Harness h;
  mqtt::Outgoing left;
  left.message = message("persist/t", "old");
  left.qos = 1;
  left.packet_id = 40;
  h.state.inflight.push_back(left);
  h.state.last_packet_id = 40;
  Actions acc = h.connect();
  auto messages = sent(acc);
  REQUIRE(messages.size() == 2);
  CHECK(type_of(messages[0]) == MsgType::connack);
  Register reg = std::get<Register>(messages[1]);
  CHECK(reg.topic_name == "persist/t");
  Publish p = only_sent<Publish>(h.feed(Regack{reg.topic_id, reg.msg_id, ReturnCode::accepted}));
  CHECK(p.flags.dup);
  CHECK(p.msg_id == 40);
  CHECK(p.data == "old");
}

TEST_CASE("sn outbound: expired and oversized messages are dropped", "[sn]") {
  Harness h;
  h.limits.max_datagram = 64;
  h.connect();
  Actions a;
  auto expired = std::make_shared<mqtt::Message>(*message("t", "x"));
  expired->expires_at = h.now - std::chrono::seconds(1);
  CHECK(h.offer(expired, 0, a) == mqtt::Offer::dropped_expired);
  CHECK(h.offer(message("t", std::string(100, 'x')), 0, a) == mqtt::Offer::dropped_too_large);
  CHECK(a.datagrams.empty());
  CHECK(h.session->stats().dropped == 2);
}

TEST_CASE("sn outbound: the queue is bounded", "[sn]") {
  Harness h;
  h.limits.max_queued_messages = 2;
  h.connect();
  client_register(h, "t");
  Actions a;
  CHECK(h.offer(message("t", "1"), 1, a) == mqtt::Offer::sent);
  CHECK(h.offer(message("t", "2"), 1, a) == mqtt::Offer::queued);
  CHECK(h.offer(message("t", "3"), 1, a) == mqtt::Offer::queued);
  CHECK(h.offer(message("t", "4"), 1, a) == mqtt::Offer::dropped_queue_full);
}

}  // namespace
}  // namespace ferry::sn::test
