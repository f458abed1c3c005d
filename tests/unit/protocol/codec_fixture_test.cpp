// Byte-exact fixtures (what real clients send) and scan_frame behaviour.
#include "codec_test_util.hpp"

using namespace ferry::mqtt;
using ferry::mqtt::test::as_span;
using ferry::mqtt::test::decode_all;
using ferry::mqtt::test::encoded;

namespace {

std::string b(std::initializer_list<int> bytes) {
  std::string s;
  for (const int x : bytes) {
    s.push_back(static_cast<char>(x));
  }
  return s;
}

}  // namespace

TEST_CASE("fixture: 3.1.1 CONNECT as mosquitto_pub sends it", "[codec][fixture]") {
  // mosquitto_pub -i mosq-abc -t ... : clean session, keep alive 60, no will/credentials.
  const std::string wire = b({0x10, 0x14, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00,
                              0x3C, 0x00, 0x08, 'm',  'o', 's', 'q', '-', 'a',  'b',  'c'});
  const Decoded d = decode_all(wire, Version::v3_1_1);
  REQUIRE(d.ok());
  const auto& c = std::get<Connect>(d.packet);
  CHECK(c.version == Version::v3_1_1);
  CHECK(c.clean_start);
  CHECK(c.keep_alive == 60);
  CHECK(c.client_id == "mosq-abc");
  CHECK_FALSE(c.will);
  CHECK_FALSE(c.username);
  CHECK(encoded(c, Version::v3_1_1) == wire);
}

TEST_CASE("fixture: 3.1 CONNECT uses MQIsdp level 3", "[codec][fixture]") {
  const std::string wire = b({0x10, 0x11, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03, 0x02,
                              0x00, 0x0A, 0x00, 0x03, 'a', 'b', 'c'});
  const Decoded d = decode_all(wire, Version::v3_1_1);  // CONNECT ignores the argument
  REQUIRE(d.ok());
  CHECK(std::get<Connect>(d.packet).version == Version::v3_1);
  CHECK(encoded(d.packet, Version::v3_1) == wire);
}

TEST_CASE("fixture: 5.0 CONNECT with session expiry and credentials", "[codec][fixture]") {
  const std::string wire =
      b({0x10, 0x1A, 0x00, 0x04, 'M',  'Q',  'T', 'T',  0x05, 0xC2, 0x00, 0x1E, 0x05, 0x11,
         0x00, 0x00, 0x00, 0x78, 0x00, 0x01, 'c', 0x00, 0x01, 'u',  0x00, 0x02, 'p',  'w'});
  const Decoded d = decode_all(wire, Version::v3_1_1);
  REQUIRE(d.ok());
  const auto& c = std::get<Connect>(d.packet);
  CHECK(c.version == Version::v5);
  CHECK(c.properties.session_expiry_interval == 120u);
  CHECK(c.username == "u");
  CHECK(c.password == "pw");
  CHECK(encoded(c, Version::v5) == wire);
}

TEST_CASE("fixture: control packets", "[codec][fixture]") {
  CHECK(encoded(Pingreq{}, Version::v3_1_1) == b({0xC0, 0x00}));
  CHECK(encoded(Pingresp{}, Version::v5) == b({0xD0, 0x00}));
  CHECK(decode_all(b({0xC0, 0x00}), Version::v3_1_1).packet == Packet(Pingreq{}));
  CHECK(encoded(Disconnect{}, Version::v3_1_1) == b({0xE0, 0x00}));
  CHECK(encoded(Disconnect{}, Version::v5) == b({0xE0, 0x00}));
  CHECK(encoded(Disconnect{Reason::disconnect_with_will, {}}, Version::v5) ==
        b({0xE0, 0x01, 0x04}));
  CHECK(encoded(Auth{}, Version::v5) == b({0xF0, 0x00}));
  CHECK(encoded(Auth{Reason::continue_authentication, {}}, Version::v5) ==
        b({0xF0, 0x02, 0x18, 0x00}));
}

TEST_CASE("fixture: PUBACK family short forms", "[codec][fixture]") {
  Puback ack;
  ack.packet_id = 1;
  CHECK(encoded(ack, Version::v5) == b({0x40, 0x02, 0x00, 0x01}));
  CHECK(encoded(ack, Version::v3_1_1) == b({0x40, 0x02, 0x00, 0x01}));
  ack.reason = Reason::no_matching_subscribers;
  CHECK(encoded(ack, Version::v5) == b({0x40, 0x03, 0x00, 0x01, 0x10}));
  CHECK(encoded(ack, Version::v3_1_1) == b({0x40, 0x02, 0x00, 0x01}));  // no reason in 3.x

  Pubrel rel;
  rel.packet_id = 0x1234;
  CHECK(encoded(rel, Version::v5) == b({0x62, 0x02, 0x12, 0x34}));

  const Decoded d2 = decode_all(b({0x50, 0x02, 0x00, 0x07}), Version::v5);
  REQUIRE(d2.ok());
  CHECK(std::get<Pubrec>(d2.packet).reason == Reason::success);
  const Decoded d3 = decode_all(b({0x70, 0x03, 0x00, 0x07, 0x92}), Version::v5);
  REQUIRE(d3.ok());
  CHECK(std::get<Pubcomp>(d3.packet).reason == Reason::packet_identifier_not_found);
  const Decoded d4 = decode_all(b({0x40, 0x04, 0x00, 0x07, 0x00, 0x00}), Version::v5);
  REQUIRE(d4.ok());  // explicit empty property block
  CHECK(std::get<Puback>(d4.packet).packet_id == 7);
}

TEST_CASE("fixture: PUBLISH and SUBSCRIBE", "[codec][fixture]") {
  const std::string qos0 = b({0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i'});
  Decoded d = decode_all(qos0, Version::v3_1_1);
  REQUIRE(d.ok());
  const auto& p = std::get<Publish>(d.packet);
  CHECK(p.topic == "a/b");
  CHECK(p.payload_view() == "hi");
  CHECK(encoded(p, Version::v3_1_1) == qos0);

  const std::string v5qos1 = b({0x33, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x01, 0x00, 'h', 'i'});
  d = decode_all(v5qos1, Version::v5);
  REQUIRE(d.ok());
  CHECK(std::get<Publish>(d.packet).qos == 1);
  CHECK(std::get<Publish>(d.packet).retain);
  CHECK(encoded(d.packet, Version::v5) == v5qos1);

  const std::string sub = b({0x82, 0x08, 0x00, 0x01, 0x00, 0x03, 'a', '/', 'b', 0x01});
  d = decode_all(sub, Version::v3_1_1);
  REQUIRE(d.ok());
  CHECK(std::get<Subscribe>(d.packet).topics.at(0).qos == 1);
  CHECK(encoded(d.packet, Version::v3_1_1) == sub);
}

TEST_CASE("fixture: 3.x CONNACK and SUBACK code mapping", "[codec][fixture]") {
  CHECK(encoded(Connack{}, Version::v3_1_1) == b({0x20, 0x02, 0x00, 0x00}));
  CHECK(encoded(Connack{true, Reason::success, {}}, Version::v3_1_1) ==
        b({0x20, 0x02, 0x01, 0x00}));
  CHECK(encoded(Connack{true, Reason::success, {}}, Version::v3_1) ==
        b({0x20, 0x02, 0x00, 0x00}));  // 3.1 has no session present flag
  CHECK(encoded(Connack{false, Reason::banned, {}}, Version::v3_1_1) ==
        b({0x20, 0x02, 0x00, 0x05}));
  CHECK(encoded(Connack{}, Version::v5) == b({0x20, 0x03, 0x00, 0x00, 0x00}));
  CHECK(encoded(Suback{1, {Reason::granted_qos1, Reason::topic_filter_invalid}, {}},
                Version::v3_1_1) == b({0x90, 0x04, 0x00, 0x01, 0x01, 0x80}));
  CHECK(encoded(Unsuback{1, {Reason::success}, {}}, Version::v3_1_1) ==
        b({0xB0, 0x02, 0x00, 0x01}));
}

TEST_CASE("v3_connack_code mapping", "[codec]") {
  CHECK(v3_connack_code(Reason::success) == 0);
  CHECK(v3_connack_code(Reason::unsupported_protocol_version) == 1);
  CHECK(v3_connack_code(Reason::client_identifier_not_valid) == 2);
  CHECK(v3_connack_code(Reason::server_unavailable) == 3);
  CHECK(v3_connack_code(Reason::server_busy) == 3);
  CHECK(v3_connack_code(Reason::server_shutting_down) == 3);
  CHECK(v3_connack_code(Reason::malformed_packet) == 3);
  CHECK(v3_connack_code(Reason::bad_user_name_or_password) == 4);
  CHECK(v3_connack_code(Reason::bad_authentication_method) == 4);
  CHECK(v3_connack_code(Reason::not_authorized) == 5);
  CHECK(v3_connack_code(Reason::banned) == 5);
}

TEST_CASE("encode_publish_head leaves the payload to the caller", "[codec][fixture]") {
  Publish p;
  p.topic = "a";
  p.qos = 1;
  p.packet_id = 2;
  p.payload = std::make_shared<const std::string>("xyz");
  std::string head;
  encode_publish_head(p, Version::v5, head);
  CHECK(head == b({0x32, 0x09, 0x00, 0x01, 'a', 0x00, 0x02, 0x00}));
}

TEST_CASE("scan_frame", "[codec][frame]") {
  using S = Frame::Status;
  const auto scan = [](const std::string& s, std::uint32_t max = 0) {
    return scan_frame(as_span(s), max);
  };
  CHECK(scan("").status == S::need_more);
  CHECK(scan(b({0x30})).status == S::need_more);
  CHECK(scan(b({0x30, 0x80})).status == S::need_more);                    // length continues
  CHECK(scan(b({0x30, 0x03, 0x00})).status == S::need_more);              // body incomplete
  CHECK(scan(b({0xFF, 0xFF, 0xFF, 0xFF, 0x7F})).status == S::need_more);  // 4 bytes is fine
  CHECK(scan(b({0x30, 0x80, 0x80, 0x80, 0x80})).status == S::malformed);
  CHECK(scan(b({0x30, 0x80, 0x80, 0x80, 0x80, 0x01})).status == S::malformed);

  const Frame ok = scan(b({0xC0, 0x00, 0xD0}));  // one packet plus the next one's start
  CHECK(ok.status == S::ok);
  CHECK(ok.first_byte == 0xC0);
  CHECK(ok.header_size == 2);
  CHECK(ok.total_size() == 2);

  const Frame big = scan(b({0x30, 0xC1, 0x02}));  // 321
  CHECK(big.status == S::need_more);
  CHECK(big.remaining_length == 321);
  CHECK(big.header_size == 3);

  CHECK(scan(b({0x30, 0x0A}), 11).status == S::too_large);  // known before the body
  CHECK(scan(b({0x30, 0x09}), 11).status == S::need_more);
  CHECK(scan(b({0x30, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9}), 11).status == S::ok);
  CHECK(scan(b({0x30, 0xFF, 0xFF, 0xFF, 0x7F}), 0).status == S::need_more);
  CHECK(scan(b({0x30, 0xFF, 0xFF, 0xFF, 0x7F}), 0xFFFFFFFF).status == S::need_more);
}

TEST_CASE("put_varint", "[codec]") {
  const auto v = [](std::uint32_t x) {
    std::string s;
    put_varint(x, s);
    return s;
  };
  CHECK(v(0) == b({0x00}));
  CHECK(v(127) == b({0x7F}));
  CHECK(v(128) == b({0x80, 0x01}));
  CHECK(v(16383) == b({0xFF, 0x7F}));
  CHECK(v(16384) == b({0x80, 0x80, 0x01}));
  CHECK(v(268435455) == b({0xFF, 0xFF, 0xFF, 0x7F}));
}
