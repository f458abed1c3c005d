// MQTT-SN codec: byte-exact fixtures built from the message formats of [MQTT-SN 5.4],
// round trips for every message type, both Length forms and forwarder encapsulation.
#include "tests/unit/protocol/sn_test_util.hpp"

namespace ferry::sn::test {
namespace {

struct Fixture {
  const char* name;
  std::string wire;
  Message message;
};

Flags connect_flags(bool will, bool clean) {
  Flags f;
  f.will = will;
  f.clean_session = clean;
  return f;
}

std::vector<Fixture> fixtures() {
  Flags dup_q1_retain = qos_flags(1, TopicIdType::normal, true);
  dup_q1_retain.dup = true;
  return {
      {"ADVERTISE", bytes({5, 0x00, 7, 0x03, 0x84}), Advertise{7, 900}},
      {"SEARCHGW", bytes({3, 0x01, 2}), Searchgw{2}},
      {"GWINFO from gateway", bytes({3, 0x02, 7}), Gwinfo{7, ""}},
      {"GWINFO from client", bytes({5, 0x02, 7, 0xAB, 0xCD}), Gwinfo{7, bytes({0xAB, 0xCD})}},
      {"CONNECT clean+will", bytes({9, 0x04, 0x0C, 0x01, 0x00, 0x3C, 'a', 'b', 'c'}),
       Connect{connect_flags(true, true), 60, "abc"}},
      {"CONNACK congestion", bytes({3, 0x05, 0x01}), Connack{ReturnCode::congestion}},
      {"WILLTOPICREQ", bytes({2, 0x06}), Willtopicreq{}},
      {"WILLTOPIC qos1 retain", bytes({6, 0x07, 0x30, 'w', '/', 't'}),
       Willtopic{qos_flags(1, TopicIdType::normal, true), "w/t"}},
      {"WILLTOPIC empty", bytes({2, 0x07}), Willtopic{}},
      {"WILLMSGREQ", bytes({2, 0x08}), Willmsgreq{}},
      {"WILLMSG", bytes({5, 0x09, 'b', 'y', 'e'}), Willmsg{"bye"}},
      {"REGISTER from client", bytes({9, 0x0A, 0, 0, 0, 5, 'a', '/', 'b'}), Register{0, 5, "a/b"}},
      {"REGACK", bytes({7, 0x0B, 0x00, 0x01, 0x00, 0x05, 0x00}),
       Regack{1, 5, ReturnCode::accepted}},
      {"PUBLISH dup qos1 retain", bytes({9, 0x0C, 0xB0, 0x00, 0x01, 0x00, 0x02, 'h', 'i'}),
       Publish{dup_q1_retain, 1, 2, "hi"}},
      {"PUBLISH qos-1 predefined", bytes({8, 0x0C, 0x61, 0x00, 0x07, 0x00, 0x00, 'x'}),
       Publish{qos_flags(-1, TopicIdType::predefined), 7, 0, "x"}},
      {"PUBLISH qos2 short", bytes({7, 0x0C, 0x42, 'a', 'b', 0x12, 0x34}),
       Publish{qos_flags(2, TopicIdType::short_name), short_topic_id("ab"), 0x1234, ""}},
      {"PUBACK invalid topic id", bytes({7, 0x0D, 0x00, 0x09, 0x00, 0x03, 0x02}),
       Puback{9, 3, ReturnCode::invalid_topic_id}},
      {"PUBCOMP", bytes({4, 0x0E, 0x01, 0x02}), Pubcomp{0x0102}},
      {"PUBREC", bytes({4, 0x0F, 0x00, 0x09}), Pubrec{9}},
      {"PUBREL", bytes({4, 0x10, 0xFF, 0xFF}), Pubrel{0xFFFF}},
      {"SUBSCRIBE by name", bytes({8, 0x12, 0x20, 0x00, 0x01, 'a', '/', '#'}),
       Subscribe{qos_flags(1), 1, "a/#", 0}},
      {"SUBSCRIBE predefined", bytes({7, 0x12, 0x41, 0x00, 0x02, 0x00, 0x0A}),
       Subscribe{qos_flags(2, TopicIdType::predefined), 2, "", 10}},
      {"SUBACK", bytes({8, 0x13, 0x20, 0x00, 0x04, 0x00, 0x01, 0x00}),
       Suback{qos_flags(1), 4, 1, ReturnCode::accepted}},
      {"UNSUBSCRIBE short", bytes({7, 0x14, 0x02, 0x00, 0x03, 'x', 'y'}),
       Unsubscribe{qos_flags(0, TopicIdType::short_name), 3, "", short_topic_id("xy")}},
      {"UNSUBACK", bytes({4, 0x15, 0x00, 0x03}), Unsuback{3}},
      {"PINGREQ", bytes({2, 0x16}), Pingreq{}},
      {"PINGREQ with client id", bytes({4, 0x16, 'c', '1'}), Pingreq{"c1"}},
      {"PINGRESP", bytes({2, 0x17}), Pingresp{}},
      {"DISCONNECT", bytes({2, 0x18}), Disconnect{}},
      {"DISCONNECT with duration", bytes({4, 0x18, 0x01, 0x2C}), Disconnect{300}},
      {"WILLTOPICUPD", bytes({4, 0x1A, 0x40, 't'}), Willtopicupd{qos_flags(2), "t"}},
      {"WILLTOPICUPD empty", bytes({2, 0x1A}), Willtopicupd{}},
      {"WILLTOPICRESP", bytes({3, 0x1B, 0x03}), Willtopicresp{ReturnCode::not_supported}},
      {"WILLMSGUPD", bytes({4, 0x1C, 'o', 'k'}), Willmsgupd{"ok"}},
      {"WILLMSGRESP", bytes({3, 0x1D, 0x00}), Willmsgresp{ReturnCode::accepted}},
      {"encapsulated PINGREQ", bytes({5, 0xFE, 0x01, 0xAA, 0xBB, 2, 0x16}),
       Encapsulated{1, bytes({0xAA, 0xBB}), bytes({2, 0x16})}},
  };
}

TEST_CASE("sn codec: byte-exact fixtures decode and encode", "[sn][codec]") {
  for (const auto& f : fixtures()) {
    INFO(f.name);
    Decoded decoded = decode(f.wire);
    INFO("error " << to_string(decoded.error));
    REQUIRE(decoded.ok());
    CHECK(decoded.message == f.message);
    CHECK(encode(f.message) == f.wire);
  }
}

TEST_CASE("sn codec: every message type is covered by the fixtures", "[sn][codec]") {
  std::vector<bool> seen(std::variant_size_v<Message>, false);
  for (const auto& f : fixtures()) {
    seen[f.message.index()] = true;
  }
  for (std::size_t i = 0; i < seen.size(); ++i) {
    INFO("variant index " << i);
    CHECK(seen[i]);
  }
}

TEST_CASE("sn codec: flags byte bit positions", "[sn][codec]") {
  Flags f;
  f.dup = true;
  CHECK(flags_byte(f) == 0x80);
  CHECK(flags_byte(qos_flags(1)) == 0x20);
  CHECK(flags_byte(qos_flags(2)) == 0x40);
  CHECK(flags_byte(qos_flags(-1)) == 0x60);
  CHECK(flags_byte(qos_flags(0, TopicIdType::normal, true)) == 0x10);
  CHECK(flags_byte(connect_flags(true, false)) == 0x08);
  CHECK(flags_byte(connect_flags(false, true)) == 0x04);
  CHECK(flags_byte(qos_flags(0, TopicIdType::predefined)) == 0x01);
  CHECK(flags_byte(qos_flags(0, TopicIdType::short_name)) == 0x02);
}

TEST_CASE("sn codec: 3-octet Length form above 255 octets", "[sn][codec]") {
  Publish p{qos_flags(1), 1, 2, std::string(300, 'x')};
  std::string wire = encode(p);
  REQUIRE(wire.size() == 300 + 5 + 4);
  CHECK(static_cast<std::uint8_t>(wire[0]) == 0x01);
  CHECK(static_cast<std::uint8_t>(wire[1]) == (wire.size() >> 8));
  CHECK(static_cast<std::uint8_t>(wire[2]) == (wire.size() & 0xFF));
  CHECK(static_cast<std::uint8_t>(wire[3]) == 0x0C);
  Decoded decoded = decode(wire);
  REQUIRE(decoded.ok());
  CHECK(decoded.message == Message{p});
}

TEST_CASE("sn codec: short Length up to 255, long form from 256", "[sn][codec]") {
  // 2 header + 5 fixed + 248 data = 255: still the 1-octet form.
  CHECK(encode(Publish{qos_flags(0), 1, 0, std::string(248, 'a')}).size() == 255);
  CHECK(encode(Publish{qos_flags(0), 1, 0, std::string(248, 'a')})[0] == '\xFF');
  // One more octet needs the 3-octet form: 256 + 2.
  std::string wire = encode(Publish{qos_flags(0), 1, 0, std::string(249, 'a')});
  CHECK(wire.size() == 258);
  CHECK(wire[0] == 0x01);
}

TEST_CASE("sn codec: the long form is accepted for small messages too", "[sn][codec]") {
  Decoded decoded = decode(bytes({0x01, 0x00, 0x04, 0x17}));
  REQUIRE(decoded.ok());
  CHECK(decoded.message == Message{Pingresp{}});
}

TEST_CASE("sn codec: messages over 65535 octets are not encoded", "[sn][codec]") {
  std::string out = "keep";
  CHECK_FALSE(encode(Publish{qos_flags(0), 1, 0, std::string(65535, 'a')}, out));
  CHECK(out == "keep");
}

TEST_CASE("sn codec: encapsulation round trips every inner message", "[sn][codec]") {
  for (const auto& f : fixtures()) {
    if (std::holds_alternative<Encapsulated>(f.message)) {
      continue;
    }
    INFO(f.name);
    std::string wrapped;
    REQUIRE(encapsulate(0x02, "node-7", f.wire, wrapped));
    CHECK(static_cast<std::uint8_t>(wrapped[0]) == 3 + 6);
    CHECK(static_cast<std::uint8_t>(wrapped[1]) == 0xFE);
    Decoded decoded = decode(wrapped);
    REQUIRE(decoded.ok());
    const auto& e = std::get<Encapsulated>(decoded.message);
    CHECK(e.ctrl == 0x02);
    CHECK(e.node_id == "node-7");
    CHECK(e.message == f.wire);
    CHECK(encode(decoded.message) == wrapped);
    CHECK(decode(e.message).message == f.message);
  }
}

TEST_CASE("sn codec: encapsulation of a long-form message", "[sn][codec]") {
  std::string inner = encode(Publish{qos_flags(1), 1, 2, std::string(400, 'z')});
  std::string wrapped;
  REQUIRE(encapsulate(0, bytes({1, 2}), inner, wrapped));
  Decoded decoded = decode(wrapped);
  REQUIRE(decoded.ok());
  CHECK(std::get<Encapsulated>(decoded.message).message == inner);
}

TEST_CASE("sn codec: short topic ids pack two characters", "[sn][codec]") {
  CHECK(short_topic_id("ab") == 0x6162);
  CHECK(short_topic_name(0x6162) == "ab");
}

}  // namespace
}  // namespace ferry::sn::test
