// The bench's MQTT-SN client logic against the real codec: what it sends is decoded with
// sn::decode, what it receives is encoded with sn::encode.
#include <catch2/catch.hpp>
#include <string>

#include "bench/lib/payload.hpp"
#include "bench/lib/sn_session.hpp"
#include "protocol/sn/codec.hpp"

using ferry::bench::SnPublishTemplate;
using ferry::bench::SnRole;
using ferry::bench::SnSession;
using ferry::bench::SnSessionConfig;
using ferry::bench::view_sn_publish;
namespace sn = ferry::sn;

namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

template <class T>
T decoded_as(const std::string& datagram) {
  sn::Decoded d = sn::decode(datagram);
  REQUIRE(d.ok());
  REQUIRE(std::holds_alternative<T>(d.message));
  return std::get<T>(d.message);
}

SnSessionConfig config(SnRole role) {
  SnSessionConfig c;
  c.role = role;
  c.client_id = "sn-sub-42";
  c.topic = "bench/snfanout/t";
  c.keep_alive = 600;
  c.qos = 1;
  c.max_retries = 2;
  return c;
}

/// A session that went through CONNECT and CONNACK, and the request that followed.
std::string connected(SnSession& s) {
  s.start();
  return s.on_message(sn::Connack{sn::ReturnCode::accepted});
}

}  // namespace

TEST_CASE("sn session: subscriber handshake takes the topic id from SUBACK") {
  SnSession s(config(SnRole::subscriber));
  auto connect = decoded_as<sn::Connect>(s.start());
  CHECK(connect.client_id == "sn-sub-42");
  CHECK(connect.duration == 600);
  CHECK(connect.flags.clean_session);
  CHECK_FALSE(connect.flags.will);
  CHECK(s.phase() == SnSession::Phase::connecting);

  auto subscribe = decoded_as<sn::Subscribe>(s.on_message(sn::Connack{sn::ReturnCode::accepted}));
  CHECK(subscribe.topic_name == "bench/snfanout/t");
  CHECK(subscribe.flags.topic_id_type == sn::TopicIdType::normal);
  CHECK(subscribe.flags.qos == 1);
  CHECK(s.phase() == SnSession::Phase::joining);

  sn::Suback wrong_id{{}, 9, static_cast<std::uint16_t>(subscribe.msg_id + 1)};
  CHECK(s.on_message(wrong_id).empty());
  CHECK(s.phase() == SnSession::Phase::joining);  // not the answer to our SUBSCRIBE

  CHECK(s.on_message(sn::Suback{{}, 7, subscribe.msg_id, sn::ReturnCode::accepted}).empty());
  CHECK(s.ready());
  CHECK(s.topic_id() == 7);
}

TEST_CASE("sn session: publisher registers its topic and publishes with the REGACK id") {
  SnSession s(config(SnRole::publisher));
  auto reg = decoded_as<sn::Register>(connected(s));
  CHECK(reg.topic_id == 0);  // from a client [MQTT-SN 5.4.9]
  CHECK(reg.topic_name == "bench/snfanout/t");
  s.on_message(sn::Suback{{}, 3, reg.msg_id, sn::ReturnCode::accepted});
  CHECK_FALSE(s.ready());  // a SUBACK does not answer a REGISTER
  s.on_message(sn::Regack{12, reg.msg_id, sn::ReturnCode::accepted});
  REQUIRE(s.ready());
  CHECK(s.topic_id() == 12);

  SnPublishTemplate t(s.topic_id(), sn::TopicIdType::normal, 32);
  ferry::bench::write_stamp({5, 77, 123456789}, t.stamp());
  auto publish = decoded_as<sn::Publish>(std::string(t.datagram()));
  CHECK(publish.topic_id == 12);
  CHECK(publish.flags.qos == 0);
  CHECK(publish.msg_id == 0);
  REQUIRE(publish.data.size() == 32);
  auto stamp = ferry::bench::read_stamp(publish.data);
  REQUIRE(stamp);
  CHECK(stamp->publisher == 5);
  CHECK(stamp->seq == 77);
  CHECK(stamp->sent_ns == 123456789);
}

TEST_CASE("sn session: refusals fail the session with the return code") {
  SnSession a(config(SnRole::subscriber));
  a.start();
  CHECK(a.on_message(sn::Connack{sn::ReturnCode::congestion}).empty());
  CHECK(a.phase() == SnSession::Phase::failed);
  CHECK(a.error() == "CONNACK refused, return code 1");

  SnSession b(config(SnRole::subscriber));
  auto sub = decoded_as<sn::Subscribe>(connected(b));
  b.on_message(sn::Suback{{}, 0, sub.msg_id, sn::ReturnCode::invalid_topic_id});
  CHECK(b.phase() == SnSession::Phase::failed);
  CHECK(b.error() == "SUBACK refused, return code 2");

  SnSession c(config(SnRole::subscriber));
  connected(c);
  c.on_message(sn::Disconnect{});
  CHECK(c.phase() == SnSession::Phase::failed);
}

TEST_CASE("sn session: a missing answer resends the request, then gives up") {
  SnSession s(config(SnRole::subscriber));
  const std::string connect = s.start();
  CHECK(s.on_timeout() == connect);
  CHECK(s.on_timeout() == connect);
  CHECK(s.retries() == 2);
  CHECK(s.on_timeout().empty());  // max_retries = 2
  CHECK(s.phase() == SnSession::Phase::failed);
  CHECK(s.error() == "no CONNACK after 3 tries");
  // A late CONNACK does not revive it.
  CHECK(s.on_message(sn::Connack{sn::ReturnCode::accepted}).empty());
  CHECK(s.phase() == SnSession::Phase::failed);

  SnSession p(config(SnRole::publisher));
  const std::string reg = connected(p);
  CHECK(p.on_timeout() == reg);
  CHECK(p.on_message(sn::Connack{sn::ReturnCode::accepted}).empty());  // late duplicate
  CHECK(p.phase() == SnSession::Phase::joining);
  p.on_timeout();
  p.on_timeout();
  CHECK(p.error() == "no REGACK after 3 tries");

  SnSession r(config(SnRole::subscriber));
  connected(r);
  r.on_message(sn::Suback{{}, 1, 1, sn::ReturnCode::accepted});
  CHECK(r.on_timeout().empty());  // ready: nothing outstanding
  CHECK(r.ready());
}

TEST_CASE("sn session: acks owed to the gateway echo its ids") {
  SnSession s(config(SnRole::subscriber));
  connected(s);
  auto regack = decoded_as<sn::Regack>(s.on_message(sn::Register{300, 41, "other/topic"}));
  CHECK(regack.topic_id == 300);
  CHECK(regack.msg_id == 41);
  CHECK(regack.return_code == sn::ReturnCode::accepted);

  sn::Publish q1;
  q1.flags.qos = 1;
  q1.topic_id = 7;
  q1.msg_id = 513;
  q1.data = "hello";
  const std::string wire = sn::encode(q1);
  auto view = view_sn_publish(bytes(wire));
  REQUIRE(view);
  auto puback = decoded_as<sn::Puback>(s.ack(*view));
  CHECK(puback.topic_id == 7);
  CHECK(puback.msg_id == 513);
  CHECK(puback.return_code == sn::ReturnCode::accepted);

  view->qos = 0;
  CHECK(s.ack(*view).empty());
}

TEST_CASE("sn wire: a PUBLISH is viewed like sn::decode reads it") {
  sn::Publish p;
  p.flags.dup = true;
  p.flags.qos = 1;
  p.flags.retain = true;
  p.flags.topic_id_type = sn::TopicIdType::short_name;
  p.topic_id = sn::short_topic_id("ab");
  p.msg_id = 0xBEEF;
  for (std::size_t size : {0, 16, 300}) {  // 300: the 3-octet Length form
    p.data.assign(size, 'z');
    const std::string wire = sn::encode(p);
    CHECK((size < 250) == (static_cast<std::uint8_t>(wire[0]) != 0x01));
    auto v = view_sn_publish(bytes(wire));
    REQUIRE(v);
    CHECK(v->dup);
    CHECK(v->qos == 1);
    CHECK(v->retain);
    CHECK(v->topic_id_type == sn::TopicIdType::short_name);
    CHECK(v->topic_id == p.topic_id);
    CHECK(v->msg_id == 0xBEEF);
    CHECK(v->data == p.data);
  }
  p.flags.qos = -1;
  p.data = "x";
  auto minus_one = view_sn_publish(bytes(sn::encode(p)));
  REQUIRE(minus_one);
  CHECK(minus_one->qos == -1);
}

TEST_CASE("sn wire: other messages and malformed PUBLISHes are not viewed") {
  CHECK_FALSE(view_sn_publish(bytes(sn::encode(sn::Pingresp{}))));
  CHECK_FALSE(view_sn_publish(bytes(sn::encode(sn::Regack{1, 2, sn::ReturnCode::accepted}))));
  sn::Publish p;
  p.topic_id = 1;
  p.data = "payload";
  std::string wire = sn::encode(p);
  CHECK_FALSE(view_sn_publish(bytes(wire.substr(0, wire.size() - 1))));  // Length mismatch
  wire[2] = static_cast<char>(wire[2] | 3);                              // reserved TopicIdType
  CHECK_FALSE(view_sn_publish(bytes(wire)));
  CHECK_FALSE(view_sn_publish(bytes(std::string("\x06\x0C\x00\x00\x01\x00", 6))));  // no MsgId
  CHECK_FALSE(view_sn_publish(bytes(std::string("\x01", 1))));
}

TEST_CASE("sn memory: bytes per client from two RSS readings") {
  using ferry::bench::bytes_per_client;
  CHECK(bytes_per_client(10'000'000, 20'240'000, 10'000).value() == Approx(1024.0));
  CHECK(bytes_per_client(20'000'000, 19'000'000, 1'000).value() == Approx(-1000.0));
  CHECK_FALSE(bytes_per_client(std::nullopt, 5, 10));
  CHECK_FALSE(bytes_per_client(5, std::nullopt, 10));
  CHECK_FALSE(bytes_per_client(5, 10, 0));
}
