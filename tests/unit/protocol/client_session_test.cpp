// mqtt::ClientSession, the client side used for the gateway's upstream links: bytes the
// "server" (this test, with the codec) sends go in; what the client writes is decoded.
#include <catch2/catch.hpp>

#include "protocol/mqtt/client_session.hpp"
#include "protocol/mqtt/codec.hpp"

using namespace ferry::mqtt;

namespace {

/// Decodes every packet the client wrote and empties the buffer.
std::vector<Packet> written(ClientActions& out, Version version = Version::v5) {
  std::vector<Packet> packets;
  std::span<const std::uint8_t> rest(reinterpret_cast<const std::uint8_t*>(out.bytes.data()),
                                     out.bytes.size());
  while (!rest.empty()) {
    Frame frame = scan_frame(rest, 0);
    REQUIRE(frame.status == Frame::Status::ok);
    Decoded d = decode(frame, rest.subspan(frame.header_size, frame.remaining_length), version);
    REQUIRE(d.ok());
    packets.push_back(std::move(d.packet));
    rest = rest.subspan(frame.total_size());
  }
  out.bytes.clear();
  return packets;
}

void server_sends(ClientSession& c, const Packet& p, ClientActions& out) {
  std::string bytes;
  encode(p, c.options().version, bytes);
  c.on_bytes({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, out);
}

Publish message(const std::string& topic, std::uint8_t qos, const std::string& body = "x") {
  Publish p;
  p.topic = topic;
  p.qos = qos;
  p.payload = std::make_shared<const Bytes>(body);
  return p;
}

ClientSession connected(ClientOptions options, ClientActions& out, bool present = false) {
  ClientSession c(std::move(options));
  c.connect(out);
  server_sends(c, Connack{present, Reason::success, {}}, out);
  written(out);
  out.events.clear();
  return c;
}

template <class T>
T only(const std::vector<Packet>& packets) {
  REQUIRE(packets.size() == 1);
  REQUIRE(std::holds_alternative<T>(packets[0]));
  return std::get<T>(packets[0]);
}

}  // namespace

TEST_CASE("client: Clean Start only on the first connection when resuming", "[client_session]") {
  ClientActions out;
  ClientSession c({Version::v5, "gw", 30, true, true, 600});
  c.connect(out);
  const auto& first = only<Connect>(written(out));
  CHECK(first.clean_start);
  CHECK(first.client_id == "gw");
  CHECK(first.keep_alive == 30);
  CHECK(first.properties.session_expiry_interval == 600u);
  server_sends(c, Connack{false, Reason::success, {}}, out);
  REQUIRE(out.events.size() == 1);
  CHECK(std::holds_alternative<Connected>(out.events[0]));
  c.lost();
  c.connect(out);
  CHECK_FALSE(only<Connect>(written(out)).clean_start);
}

TEST_CASE("client: a clean client without resume uses Clean Start every time", "[client_session]") {
  ClientActions out;
  ClientOptions options{Version::v3_1_1, "node", 60, true, false};
  ClientSession c = connected(options, out);
  c.lost();
  c.connect(out);
  CHECK(only<Connect>(written(out, Version::v3_1_1)).clean_start);
}

TEST_CASE("client: QoS 1 made offline waits, goes out after CONNACK, PUBACK acks it",
          "[client_session]") {
  ClientActions out;
  ClientSession c({Version::v5, "gw"});
  REQUIRE(c.publish(message("a/b", 1), 77, out));
  CHECK(out.bytes.empty());
  CHECK_FALSE(c.publish(message("a/b", 0), 1, out));  // QoS 0 offline: dropped
  c.connect(out);
  written(out);
  server_sends(c, Connack{false, Reason::success, {}}, out);
  const auto& p = only<Publish>(written(out));
  CHECK(p.topic == "a/b");
  CHECK(p.qos == 1);
  CHECK_FALSE(p.dup);
  out.events.clear();
  server_sends(c, Puback{{p.packet_id, Reason::success, {}}}, out);
  REQUIRE(out.events.size() == 1);
  CHECK(std::get<Acked>(out.events[0]).tag == 77);
  CHECK(std::get<Acked>(out.events[0]).ok);
  CHECK(c.buffered() == 0);
}

TEST_CASE("client: unacknowledged QoS 1 is resent with DUP after a reconnect", "[client_session]") {
  ClientActions out;
  ClientSession c = connected({Version::v5, "gw"}, out);
  c.publish(message("t", 1), 5, out);
  std::uint16_t id = only<Publish>(written(out)).packet_id;
  c.lost();
  c.connect(out);
  written(out);
  server_sends(c, Connack{true, Reason::success, {}}, out);
  const auto& again = only<Publish>(written(out));
  CHECK(again.dup);
  CHECK(again.packet_id == id);
}

TEST_CASE("client: QoS 2 is acked at PUBREC; after a loss only PUBREL is resent",
          "[client_session]") {
  ClientActions out;
  ClientSession c = connected({Version::v5, "gw"}, out);
  c.publish(message("t", 2), 9, out);
  std::uint16_t id = only<Publish>(written(out)).packet_id;
  server_sends(c, Pubrec{{id, Reason::success, {}}}, out);
  CHECK(only<Pubrel>(written(out)).packet_id == id);
  REQUIRE(out.events.size() == 1);
  CHECK(std::get<Acked>(out.events[0]).tag == 9);
  out.events.clear();
  c.lost();
  c.connect(out);
  written(out);
  server_sends(c, Connack{true, Reason::success, {}}, out);
  CHECK(only<Pubrel>(written(out)).packet_id == id);
  server_sends(c, Pubcomp{{id, Reason::success, {}}}, out);
  CHECK(c.buffered() == 0);
  for (const auto& e : out.events) {
    CHECK_FALSE(std::holds_alternative<Acked>(e));  // acknowledged once, at PUBREC
  }
}

TEST_CASE("client: an error PUBACK reports the message refused", "[client_session]") {
  ClientActions out;
  ClientSession c = connected({Version::v5, "gw"}, out);
  c.publish(message("t", 1), 3, out);
  std::uint16_t id = only<Publish>(written(out)).packet_id;
  server_sends(c, Puback{{id, Reason::quota_exceeded, {}}}, out);
  CHECK_FALSE(std::get<Acked>(out.events.at(0)).ok);
}

TEST_CASE("client: the buffer is bounded and Receive Maximum is respected", "[client_session]") {
  ClientActions out;
  ClientOptions options{Version::v5, "gw"};
  options.max_buffered = 3;
  ClientSession c(options);
  c.connect(out);
  Connack ack{false, Reason::success, {}};
  ack.properties.receive_maximum = 1;
  server_sends(c, ack, out);
  written(out);
  CHECK(c.publish(message("t", 1), 1, out));
  CHECK(c.publish(message("t", 1), 2, out));
  CHECK(c.publish(message("t", 1), 3, out));
  CHECK_FALSE(c.publish(message("t", 1), 4, out));  // full
  auto first = written(out);
  REQUIRE(first.size() == 1);  // one in flight at a time
  server_sends(c, Puback{{std::get<Publish>(first[0]).packet_id, Reason::success, {}}}, out);
  CHECK(written(out).size() == 1);  // the next one follows the ack
  CHECK(c.buffered() == 2);
}

TEST_CASE("client: an inbound QoS 2 resend is acknowledged but passed on once",
          "[client_session]") {
  ClientActions out;
  ClientSession c = connected({Version::v5, "gw"}, out);
  Publish p = message("in", 2, "body");
  p.packet_id = 11;
  server_sends(c, p, out);
  CHECK(only<Pubrec>(written(out)).packet_id == 11);
  p.dup = true;
  server_sends(c, p, out);
  CHECK(only<Pubrec>(written(out)).packet_id == 11);
  REQUIRE(out.events.size() == 1);
  CHECK(std::get<Received>(out.events[0]).publish.payload_view() == "body");
  server_sends(c, Pubrel{{11, Reason::success, {}}}, out);
  CHECK(only<Pubcomp>(written(out)).packet_id == 11);
}

TEST_CASE("client: SUBSCRIBE and UNSUBSCRIBE answers carry their tags", "[client_session]") {
  ClientActions out;
  ClientSession c({Version::v5, "gw"});
  CHECK_FALSE(c.subscribe({{"a/#", 1}}, 1, out));  // offline: refused, replayed later
  c.connect(out);
  server_sends(c, Connack{false, Reason::success, {}}, out);
  written(out);
  out.events.clear();
  REQUIRE(c.subscribe({{"a/#", 1}}, 42, out));
  const auto& sub = only<Subscribe>(written(out));
  CHECK(sub.topics.at(0).filter == "a/#");
  server_sends(c, Suback{sub.packet_id, {Reason::granted_qos1}, {}}, out);
  CHECK(std::get<Subscribed>(out.events.at(0)).tag == 42);
  CHECK(std::get<Subscribed>(out.events.at(0)).suback.reasons.at(0) == Reason::granted_qos1);
  REQUIRE(c.unsubscribe({"a/#"}, 43, out));
  server_sends(c, Unsuback{only<Unsubscribe>(written(out)).packet_id, {Reason::success}, {}}, out);
  CHECK(std::get<Unsubscribed>(out.events.at(1)).tag == 43);
}

TEST_CASE("client: keep alive pings, and a silent server is reported", "[client_session]") {
  ClientActions out;
  ClientSession c = connected({Version::v5, "gw"}, out);
  c.tick(out);
  only<Pingreq>(written(out));
  server_sends(c, Pingresp{}, out);
  c.tick(out);
  only<Pingreq>(written(out));
  c.tick(out);  // nothing heard since the last PINGREQ
  REQUIRE(out.events.size() == 1);
  CHECK(std::get<Failed>(out.events[0]).reason == Reason::keep_alive_timeout);
  CHECK_FALSE(c.connected());
}

TEST_CASE("client: a refused CONNACK and garbage both fail the link", "[client_session]") {
  ClientActions out;
  ClientSession c({Version::v5, "gw"});
  c.connect(out);
  server_sends(c, Connack{false, Reason::not_authorized, {}}, out);
  CHECK(std::get<Failed>(out.events.at(0)).reason == Reason::not_authorized);
  out.events.clear();
  c.connect(out);
  const std::uint8_t garbage[] = {0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
  c.on_bytes(garbage, out);
  CHECK(std::get<Failed>(out.events.at(0)).reason == Reason::malformed_packet);
}

TEST_CASE("client: manual acks wait for the owner, QoS 2 resends are not passed on twice",
          "[client_session]") {
  ClientActions out;
  ClientOptions options{Version::v5, "gw"};
  options.manual_acks = true;
  ClientSession c = connected(options, out);
  Publish one = message("in", 1, "q1");
  one.packet_id = 3;
  server_sends(c, one, out);
  CHECK(out.bytes.empty());  // no PUBACK yet
  CHECK(std::get<Received>(out.events.at(0)).publish.packet_id == 3);
  c.acknowledge(3, 1, out);
  CHECK(only<Puback>(written(out)).packet_id == 3);
  out.events.clear();

  Publish two = message("in", 2, "q2");
  two.packet_id = 4;
  server_sends(c, two, out);
  two.dup = true;
  server_sends(c, two, out);  // resent while the owner holds it: not passed on again
  CHECK(out.events.size() == 1);
  CHECK(out.bytes.empty());
  // The link drops before the owner is done; the ack is remembered for the resend.
  c.lost();
  c.acknowledge(4, 2, out);
  CHECK(out.bytes.empty());
  c.connect(out);
  server_sends(c, Connack{true, Reason::success, {}}, out);
  written(out);
  out.events.clear();
  server_sends(c, two, out);
  CHECK(only<Pubrec>(written(out)).packet_id == 4);
  CHECK(out.events.empty());  // answered, not delivered twice
}

TEST_CASE("client: the server's CONNACK limits shape what is sent", "[client_session]") {
  ClientActions out;
  ClientSession c({Version::v5, "gw"});
  c.connect(out);
  written(out);
  Connack ack{false, Reason::success, {}};
  ack.properties.maximum_qos = 1;
  ack.properties.retain_available = 0;
  ack.properties.maximum_packet_size = 40;
  ack.properties.server_keep_alive = 5;
  server_sends(c, ack, out);
  CHECK(c.options().keep_alive == 5);  // the server's keep alive wins
  out.events.clear();
  Publish p = message("t", 2, "small");
  p.retain = true;
  c.publish(p, 1, out);
  auto sent = only<Publish>(written(out));
  CHECK(sent.qos == 1);
  CHECK_FALSE(sent.retain);
  c.publish(message("t", 1, std::string(100, 'x')), 2, out);
  CHECK(out.bytes.empty());  // too large for the server: refused, not sent
  REQUIRE(out.events.size() == 1);
  CHECK(std::get<Acked>(out.events[0]).tag == 2);
  CHECK_FALSE(std::get<Acked>(out.events[0]).ok);
}

TEST_CASE("client: a server that never sends CONNACK is given up", "[client_session]") {
  ClientActions out;
  ClientSession c({Version::v5, "gw"});
  c.connect(out);
  c.tick(out);
  CHECK(out.events.empty());
  c.tick(out);
  REQUIRE(out.events.size() == 1);
  CHECK(std::get<Failed>(out.events[0]).what == "no CONNACK from the server");
}
