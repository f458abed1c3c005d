// A table of invalid packets and the Reason decode must answer with.
#include <vector>

#include "codec_test_util.hpp"

using namespace ferry::mqtt;
using ferry::mqtt::test::as_span;
using ferry::mqtt::test::decode_all;
using ferry::mqtt::test::packet;
using ferry::mqtt::test::Wire;

namespace {

constexpr auto V31 = Version::v3_1;
constexpr auto V311 = Version::v3_1_1;
constexpr auto V5 = Version::v5;
constexpr auto MAL = Reason::malformed_packet;
constexpr auto PROTO = Reason::protocol_error;

struct Row {
  const char* name;
  std::string bytes;
  Version version;
  Reason expected;
};

// CONNECT variable header up to and including the keep alive.
Wire connect_head(std::string_view name, int level, int flags) {
  return Wire{}.str(name).u8(level).u8(flags).u16(60);
}

Wire v5_connect(const Wire& props) {
  return connect_head("MQTT", 5, 0x02).props(props);
}

Wire v5_publish(const Wire& props) {
  return Wire{}.str("a").props(props);
}

std::vector<Row> rows() {
  const std::string id24(24, 'c');
  return {
      // Fixed header [MQTT 2.1]
      {"reserved type 0", packet(0x00, {}), V311, MAL},
      {"AUTH on 3.1.1", packet(0xF0, {}), V311, MAL},
      {"AUTH on 3.1", packet(0xF0, {}), V31, MAL},
      {"PUBREL flags 0", packet(0x60, Wire{}.u16(1)), V311, MAL},
      {"SUBSCRIBE flags 0", packet(0x80, Wire{}.u16(1).str("a").u8(0)), V311, MAL},
      {"UNSUBSCRIBE flags 0", packet(0xA0, Wire{}.u16(1).str("a")), V5, MAL},
      {"PUBACK flags 2", packet(0x42, Wire{}.u16(1)), V311, MAL},
      {"PINGREQ flags 1", packet(0xC1, {}), V311, MAL},
      {"CONNECT flags 1", packet(0x11, connect_head("MQTT", 4, 0x02).str("c")), V311, MAL},
      {"PINGREQ with body", packet(0xC0, Wire{}.u8(0)), V311, MAL},
      {"DISCONNECT 3.1.1 with body", packet(0xE0, Wire{}.u8(0)), V311, MAL},
      // PUBLISH [MQTT 3.3]
      {"PUBLISH QoS 3", packet(0x36, Wire{}.str("a").u16(1)), V311, MAL},
      {"PUBLISH DUP with QoS 0", packet(0x38, Wire{}.str("a")), V311, MAL},
      {"PUBLISH packet id 0", packet(0x32, Wire{}.str("a").u16(0)), V311, PROTO},
      {"PUBLISH topic with +", packet(0x30, Wire{}.str("a/+")), V311, Reason::topic_name_invalid},
      {"PUBLISH topic with #", packet(0x30, Wire{}.str("#").u8(0)), V5, Reason::topic_name_invalid},
      {"PUBLISH overlong NUL", packet(0x30, Wire{}.str("\xC0\x80")), V311, MAL},
      {"PUBLISH topic U+0000", packet(0x30, Wire{}.str(std::string("a\0b", 3))), V311, MAL},
      {"PUBLISH topic surrogate", packet(0x30, Wire{}.str("\xED\xA0\x80")), V311, MAL},
      {"PUBLISH topic bad continuation", packet(0x30, Wire{}.str("\xE2\x28\xA1")), V311, MAL},
      {"PUBLISH topic above U+10FFFF", packet(0x30, Wire{}.str("\xF4\x90\x80\x80")), V311, MAL},
      {"PUBLISH empty topic 3.1.1", packet(0x30, Wire{}.str("")), V311, Reason::topic_name_invalid},
      {"PUBLISH empty topic v5 no alias", packet(0x30, Wire{}.str("").u8(0)), V5, PROTO},
      {"PUBLISH truncated topic", packet(0x30, Wire{}.u16(5).raw("a")), V311, MAL},
      {"PUBLISH truncated packet id", packet(0x32, Wire{}.str("a").u8(1)), V311, MAL},
      {"PUBLISH v5 missing properties", packet(0x32, Wire{}.str("a").u16(1)), V5, MAL},
      // v5 properties [MQTT 2.2.2]
      {"topic alias 0", packet(0x30, v5_publish(Wire{}.u8(0x23).u16(0))), V5,
       Reason::topic_alias_invalid},
      {"duplicate payload format", packet(0x30, v5_publish(Wire{}.u8(1).u8(0).u8(1).u8(1))), V5,
       PROTO},
      {"duplicate content type", packet(0x30, v5_publish(Wire{}.u8(3).str("a").u8(3).str("b"))), V5,
       PROTO},
      {"payload format 2", packet(0x30, v5_publish(Wire{}.u8(1).u8(2))), V5, PROTO},
      {"session expiry in PUBLISH", packet(0x30, v5_publish(Wire{}.u8(0x11).u32(1))), V5, MAL},
      {"will delay in PUBLISH", packet(0x30, v5_publish(Wire{}.u8(0x18).u32(1))), V5, MAL},
      {"unknown property 0x05", packet(0x30, v5_publish(Wire{}.u8(0x05).u8(0))), V5, MAL},
      {"unknown property 0x2B", packet(0x30, v5_publish(Wire{}.u8(0x2B).u8(0))), V5, MAL},
      {"property length past body", packet(0x30, Wire{}.str("a").u8(10).u8(1)), V5, MAL},
      {"property value truncated", packet(0x30, v5_publish(Wire{}.u8(0x02).u16(1))), V5, MAL},
      {"property length 5 bytes", packet(0x30, Wire{}.str("a").raw("\xFF\xFF\xFF\xFF\x7F")), V5,
       MAL},
      {"subscription id 0 in PUBLISH", packet(0x30, v5_publish(Wire{}.u8(0x0B).u8(0))), V5, PROTO},
      {"content type bad UTF-8", packet(0x30, v5_publish(Wire{}.u8(3).str("\xFF"))), V5, MAL},
      {"user property value surrogate",
       packet(0x30, v5_publish(Wire{}.u8(0x26).str("k").str("\xED\xBF\xBF"))), V5, MAL},
      {"reason string in PUBLISH", packet(0x30, v5_publish(Wire{}.u8(0x1F).str("r"))), V5, MAL},
      // SUBSCRIBE / UNSUBSCRIBE [MQTT 3.8, 3.10]
      {"SUBSCRIBE packet id 0", packet(0x82, Wire{}.u16(0).str("a").u8(0)), V311, PROTO},
      {"SUBSCRIBE empty 3.1.1", packet(0x82, Wire{}.u16(1)), V311, PROTO},
      {"SUBSCRIBE empty v5", packet(0x82, Wire{}.u16(1).u8(0)), V5, PROTO},
      {"SUBSCRIBE QoS 3", packet(0x82, Wire{}.u16(1).str("a").u8(3)), V311, MAL},
      {"SUBSCRIBE 3.1.1 no-local bit", packet(0x82, Wire{}.u16(1).str("a").u8(0x04)), V311, MAL},
      {"SUBSCRIBE 3.1 reserved bit", packet(0x82, Wire{}.u16(1).str("a").u8(0x80)), V31, MAL},
      {"SUBSCRIBE v5 reserved bits", packet(0x82, Wire{}.u16(1).u8(0).str("a").u8(0x40)), V5, MAL},
      {"SUBSCRIBE v5 retain handling 3", packet(0x82, Wire{}.u16(1).u8(0).str("a").u8(0x30)), V5,
       MAL},
      {"SUBSCRIBE missing options", packet(0x82, Wire{}.u16(1).str("a")), V311, MAL},
      {"SUBSCRIBE filter bad UTF-8", packet(0x82, Wire{}.u16(1).str("\x80").u8(0)), V311, MAL},
      {"SUBSCRIBE two subscription ids",
       packet(0x82, Wire{}.u16(1).props(Wire{}.u8(0x0B).u8(1).u8(0x0B).u8(2)).str("a").u8(0)), V5,
       PROTO},
      {"SUBSCRIBE subscription id 0",
       packet(0x82, Wire{}.u16(1).props(Wire{}.u8(0x0B).u8(0)).str("a").u8(0)), V5, PROTO},
      {"UNSUBSCRIBE empty", packet(0xA2, Wire{}.u16(1)), V311, PROTO},
      {"UNSUBSCRIBE packet id 0", packet(0xA2, Wire{}.u16(0).str("a")), V311, PROTO},
      {"UNSUBSCRIBE reason string",
       packet(0xA2, Wire{}.u16(1).props(Wire{}.u8(0x1F).str("r")).str("a")), V5, MAL},
      // Acks [MQTT 3.4-3.7, 3.9, 3.11]
      {"PUBACK 3.1.1 length 3", packet(0x40, Wire{}.u16(1).u8(0)), V311, MAL},
      {"PUBACK packet id 0", packet(0x40, Wire{}.u16(0)), V5, PROTO},
      {"PUBACK truncated", packet(0x40, Wire{}.u8(1)), V311, MAL},
      {"PUBACK v5 unknown reason", packet(0x40, Wire{}.u16(1).u8(0x05)), V5, MAL},
      {"PUBREL v5 reason 0x10", packet(0x62, Wire{}.u16(1).u8(0x10)), V5, MAL},
      {"PUBACK reason string bad UTF-8",
       packet(0x40, Wire{}.u16(1).u8(0).props(Wire{}.u8(0x1F).str("\xC3"))), V5, MAL},
      {"PUBACK trailing after properties", packet(0x40, Wire{}.u16(1).u8(0).u8(0).u8(9)), V5, MAL},
      {"SUBACK 3.1.1 code 3", packet(0x90, Wire{}.u16(1).u8(3)), V311, MAL},
      {"SUBACK empty", packet(0x90, Wire{}.u16(1)), V311, PROTO},
      {"UNSUBACK 3.1.1 with codes", packet(0xB0, Wire{}.u16(1).u8(0)), V311, MAL},
      {"CONNACK 3.1.1 code 6", packet(0x20, Wire{}.u8(0).u8(6)), V311, MAL},
      {"CONNACK reserved flag bits", packet(0x20, Wire{}.u8(0x02).u8(0)), V311, MAL},
      {"CONNACK v5 without properties", packet(0x20, Wire{}.u8(0).u8(0)), V5, MAL},
      {"CONNACK v5 topic alias property",
       packet(0x20, Wire{}.u8(0).u8(0).props(Wire{}.u8(0x23).u16(1))), V5, MAL},
      {"CONNACK v5 maximum QoS 2", packet(0x20, Wire{}.u8(0).u8(0).props(Wire{}.u8(0x24).u8(2))),
       V5, PROTO},
      {"DISCONNECT v5 topic alias", packet(0xE0, Wire{}.u8(0).props(Wire{}.u8(0x23).u16(1))), V5,
       MAL},
      {"DISCONNECT v5 reason 0x01", packet(0xE0, Wire{}.u8(0x01)), V5, MAL},
      {"AUTH v5 reason 0x80", packet(0xF0, Wire{}.u8(0x80).u8(0)), V5, MAL},
      // CONNECT [MQTT 3.1]
      {"CONNECT reserved flag", packet(0x10, connect_head("MQTT", 4, 0x03).str("c")), V311, MAL},
      {"CONNECT will QoS without will", packet(0x10, connect_head("MQTT", 4, 0x0A).str("c")), V311,
       MAL},
      {"CONNECT will retain without will", packet(0x10, connect_head("MQTT", 4, 0x22).str("c")),
       V311, MAL},
      {"CONNECT will QoS 3", packet(0x10, connect_head("MQTT", 4, 0x1E).str("c").str("t").str("m")),
       V311, MAL},
      {"CONNECT password without user 3.1.1",
       packet(0x10, connect_head("MQTT", 4, 0x42).str("c").str("p")), V311, MAL},
      {"CONNECT password without user 3.1",
       packet(0x10, connect_head("MQIsdp", 3, 0x42).str("c").str("p")), V311, MAL},
      {"CONNECT name MQTX", packet(0x10, connect_head("MQTX", 4, 0x02).str("c")), V311,
       Reason::unsupported_protocol_version},
      {"CONNECT MQTT level 3", packet(0x10, connect_head("MQTT", 3, 0x02).str("c")), V311,
       Reason::unsupported_protocol_version},
      {"CONNECT MQTT level 6", packet(0x10, connect_head("MQTT", 6, 0x02).str("c")), V311,
       Reason::unsupported_protocol_version},
      {"CONNECT MQIsdp level 4", packet(0x10, connect_head("MQIsdp", 4, 0x02).str("c")), V311,
       Reason::unsupported_protocol_version},
      {"CONNECT truncated name", packet(0x10, Wire{}.u16(4).raw("MQ")), V311, MAL},
      {"CONNECT missing keep alive", packet(0x10, Wire{}.str("MQTT").u8(4).u8(2)), V311, MAL},
      {"CONNECT missing client id", packet(0x10, connect_head("MQTT", 4, 0x02)), V311, MAL},
      {"CONNECT client id bad UTF-8", packet(0x10, connect_head("MQTT", 4, 0x02).str("\xFF")), V311,
       MAL},
      {"CONNECT trailing byte", packet(0x10, connect_head("MQTT", 4, 0x02).str("c").u8(0)), V311,
       MAL},
      {"CONNECT will topic missing", packet(0x10, connect_head("MQTT", 4, 0x06).str("c")), V311,
       MAL},
      {"CONNECT will topic wildcard",
       packet(0x10, connect_head("MQTT", 4, 0x06).str("c").str("a/#").str("m")), V311,
       Reason::topic_name_invalid},
      {"CONNECT user name missing", packet(0x10, connect_head("MQTT", 4, 0x82).str("c")), V311,
       MAL},
      {"CONNECT 3.1 client id 24 chars", packet(0x10, connect_head("MQIsdp", 3, 0x02).str(id24)),
       V311, Reason::client_identifier_not_valid},
      {"CONNECT 3.1 empty client id", packet(0x10, connect_head("MQIsdp", 3, 0x02).str("")), V311,
       Reason::client_identifier_not_valid},
      {"CONNECT 3.1.1 empty id, no clean session",
       packet(0x10, connect_head("MQTT", 4, 0x00).str("")), V311,
       Reason::client_identifier_not_valid},
      {"CONNECT v5 will property in CONNECT",
       packet(0x10, v5_connect(Wire{}.u8(0x18).u32(1)).str("c")), V5, MAL},
      {"CONNECT v5 connack property", packet(0x10, v5_connect(Wire{}.u8(0x24).u8(1)).str("c")), V5,
       MAL},
      {"CONNECT v5 auth data without method",
       packet(0x10, v5_connect(Wire{}.u8(0x16).str("d")).str("c")), V5, PROTO},
      {"CONNECT v5 receive maximum 0", packet(0x10, v5_connect(Wire{}.u8(0x21).u16(0)).str("c")),
       V5, PROTO},
      {"CONNECT v5 maximum packet size 0",
       packet(0x10, v5_connect(Wire{}.u8(0x27).u32(0)).str("c")), V5, PROTO},
      {"CONNECT v5 request problem info 2",
       packet(0x10, v5_connect(Wire{}.u8(0x17).u8(2)).str("c")), V5, PROTO},
      {"CONNECT v5 duplicate session expiry",
       packet(0x10, v5_connect(Wire{}.u8(0x11).u32(1).u8(0x11).u32(2)).str("c")), V5, PROTO},
      {"CONNECT v5 user property key U+0000",
       packet(0x10, v5_connect(Wire{}.u8(0x26).str(std::string(1, '\0')).str("v")).str("c")), V5,
       MAL},
      {"CONNECT v5 session expiry in will",
       packet(0x10, connect_head("MQTT", 5, 0x06)
                        .u8(0)
                        .str("c")
                        .props(Wire{}.u8(0x11).u32(1))
                        .str("t")
                        .str("m")),
       V5, MAL},
  };
}

}  // namespace

TEST_CASE("malformed packets map to the right reason", "[codec][malformed]") {
  const auto table = rows();
  REQUIRE(table.size() >= 30);
  for (const Row& row : table) {
    INFO(row.name << ": " << ferry::mqtt::test::hex(row.bytes));
    const Decoded d = decode_all(row.bytes, row.version);
    CHECK(d.reason == row.expected);
  }
}

TEST_CASE("every truncation of valid packets is rejected without crashing", "[codec][malformed]") {
  // Cutting the body short must never succeed when the full packet has required fields.
  Connect c;
  c.version = Version::v5;
  c.client_id = "abc";
  c.will = Will{"w", "m", 1, true, {}};
  c.will->properties.content_type = "t";
  c.username = "u";
  c.password = "p";
  c.properties.user_properties = {{"a", "b"}};
  std::string wire;
  encode(c, Version::v5, wire);
  const auto span = as_span(wire);
  const Frame full = scan_frame(span, 0);
  REQUIRE(full.status == Frame::Status::ok);
  for (std::uint32_t n = 0; n < full.remaining_length; ++n) {
    Frame f = full;
    f.remaining_length = n;
    const Decoded d = decode(f, span.subspan(full.header_size, n), Version::v5);
    CHECK(d.reason == Reason::malformed_packet);
  }
}

TEST_CASE("decode rejects a body whose size differs from the frame", "[codec][malformed]") {
  const std::string body(2, '\0');
  Frame f;
  f.first_byte = 0x40;
  f.header_size = 2;
  f.remaining_length = 3;
  CHECK(decode(f, as_span(body), Version::v3_1_1).reason == Reason::malformed_packet);
}

TEST_CASE("unsupported CONNECT still reports a best-guess version", "[codec][malformed]") {
  const auto version_of = [](std::string_view name, int level) {
    const Decoded d = decode_all(packet(0x10, connect_head(name, level, 0x02).str("c")), V311);
    REQUIRE(d.reason == Reason::unsupported_protocol_version);
    return std::get<Connect>(d.packet).version;
  };
  CHECK(version_of("MQTT", 3) == Version::v3_1_1);
  CHECK(version_of("MQTT", 6) == Version::v5);
  CHECK(version_of("MQIsdp", 4) == Version::v3_1);
  CHECK(version_of("XYZ", 4) == Version::v3_1_1);

  // Errors after the version is known keep the Connect and its version too.
  const Decoded bad = decode_all(packet(0x10, connect_head("MQTT", 5, 0x03).u8(0).str("c")), V311);
  CHECK(bad.reason == Reason::malformed_packet);
  CHECK(std::get<Connect>(bad.packet).version == Version::v5);
}

TEST_CASE("accepted edge cases", "[codec]") {
  // v5 SUBSCRIBE keeps syntactically bad filters for a per-topic SUBACK 0x8F.
  Decoded d = decode_all(packet(0x82, Wire{}.u16(1).u8(0).str("a/#/b").u8(1)), V5);
  REQUIRE(d.ok());
  CHECK(std::get<Subscribe>(d.packet).topics.at(0).filter == "a/#/b");
  // v5 password without user name [MQTT 3.1.2.9].
  d = decode_all(packet(0x10, connect_head("MQTT", 5, 0x42).u8(0).str("c").str("p")), V5);
  REQUIRE(d.ok());
  CHECK(std::get<Connect>(d.packet).password == "p");
  // 3.1.1 empty client id with clean session is allowed [MQTT-3.1.3-7].
  d = decode_all(packet(0x10, connect_head("MQTT", 4, 0x02).str("")), V311);
  CHECK(d.ok());
  // 3.1 client id of exactly 23 characters.
  d = decode_all(packet(0x10, connect_head("MQIsdp", 3, 0x02).str(std::string(23, 'x'))), V311);
  CHECK(d.ok());
  // Repeated subscription identifiers and user properties in PUBLISH.
  d = decode_all(
      packet(
          0x30,
          v5_publish(
              Wire{}.u8(0x0B).u8(1).u8(0x0B).u8(2).u8(0x26).str("k").str("v").u8(0x26).str("k").str(
                  "v"))),
      V5);
  REQUIRE(d.ok());
  CHECK(std::get<Publish>(d.packet).properties.subscription_identifiers.size() == 2);
  CHECK(std::get<Publish>(d.packet).properties.user_properties.size() == 2);
  // v5 DISCONNECT with reason only; AUTH short form.
  CHECK(decode_all(packet(0xE0, Wire{}.u8(0x8E)), V5).ok());
  CHECK(decode_all(packet(0xF0, {}), V5).ok());
  // Will property block in a will.
  d = decode_all(packet(0x10, connect_head("MQTT", 5, 0x06)
                                  .u8(0)
                                  .str("c")
                                  .props(Wire{}.u8(0x18).u32(5))
                                  .str("t")
                                  .str("m")),
                 V5);
  REQUIRE(d.ok());
  CHECK(std::get<Connect>(d.packet).will->properties.will_delay_interval == 5u);
}
