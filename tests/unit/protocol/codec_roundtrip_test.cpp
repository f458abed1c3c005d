// Encode -> decode round trips for every packet type, every property and every version.
#include <memory>

#include "codec_test_util.hpp"

using namespace ferry::mqtt;
using ferry::mqtt::test::check_roundtrip;

namespace {

SharedBytes bytes(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

std::vector<UserProperty> users() {
  return {{"k", "v"}, {"k", "v2"}, {"", "\xC3\xA9"}};
}

// Properties allowed in PUBLISH and Will Properties [MQTT 2.2.2.2].
Properties message_props() {
  Properties p;
  p.payload_format_indicator = 1;
  p.message_expiry_interval = 3600;
  p.content_type = "text/plain";
  p.response_topic = "reply/to";
  p.correlation_data = std::string("\x00\x01\xFF", 3);
  p.user_properties = users();
  return p;
}

Properties publish_props() {
  Properties p = message_props();
  p.topic_alias = 7;
  p.subscription_identifiers = {1, 300, 268435455};
  return p;
}

Properties will_props() {
  Properties p = message_props();
  p.will_delay_interval = 30;
  return p;
}

Properties connect_props() {
  Properties p;
  p.session_expiry_interval = 0xFFFFFFFF;
  p.authentication_method = "SCRAM-SHA-1";
  p.authentication_data = std::string("\x00secret", 7);
  p.request_problem_information = 0;
  p.request_response_information = 1;
  p.receive_maximum = 100;
  p.topic_alias_maximum = 10;
  p.maximum_packet_size = 1 << 20;
  p.user_properties = users();
  return p;
}

Properties connack_props() {
  Properties p;
  p.session_expiry_interval = 60;
  p.assigned_client_identifier = "auto-1";
  p.server_keep_alive = 30;
  p.authentication_method = "SCRAM-SHA-1";
  p.authentication_data = "server-final";
  p.response_information = "resp/";
  p.server_reference = "other:1883";
  p.reason_string = "welcome";
  p.receive_maximum = 65535;
  p.topic_alias_maximum = 0;
  p.maximum_qos = 1;
  p.retain_available = 0;
  p.user_properties = users();
  p.maximum_packet_size = 268435460;
  p.wildcard_subscription_available = 1;
  p.subscription_identifier_available = 0;
  p.shared_subscription_available = 1;
  return p;
}

Properties reason_props() {
  Properties p;
  p.reason_string = "because";
  p.user_properties = users();
  return p;
}

Publish publish(std::uint8_t qos, std::string payload) {
  Publish p;
  p.qos = qos;
  p.retain = qos == 1;
  p.dup = qos == 2;
  p.topic = "sensors/\xE2\x82\xAC/temp";
  p.packet_id = qos > 0 ? 65535 : 0;
  p.payload = bytes(std::move(payload));
  return p;
}

Connect connect(Version v) {
  Connect c;
  c.version = v;
  c.clean_start = false;
  c.keep_alive = 60;
  c.client_id = "client-1";
  c.username = "user";
  c.password = std::string("p\x00ss", 4);
  c.will = Will{"will/topic", std::string("bye\x00", 4), 2, true, {}};
  return c;
}

template <class A>
A ack(std::uint16_t id, Reason r = Reason::success, Properties props = {}) {
  A a;
  a.packet_id = id;
  a.reason = r;
  a.properties = std::move(props);
  return a;
}

}  // namespace

TEST_CASE("round trip: packets common to every version", "[codec][roundtrip]") {
  const Version v = GENERATE(Version::v3_1, Version::v3_1_1, Version::v5);
  check_roundtrip(connect(v), v);
  check_roundtrip(publish(0, "hello"), v);
  check_roundtrip(publish(1, ""), v);
  check_roundtrip(publish(2, std::string(70000, 'x')), v);  // 3-byte remaining length
  check_roundtrip(ack<Puback>(1), v);
  check_roundtrip(ack<Pubrec>(2), v);
  check_roundtrip(ack<Pubrel>(3), v);
  check_roundtrip(ack<Pubcomp>(65535), v);
  check_roundtrip(Subscribe{10, {{"a/+", 0}, {"b/#", 1}, {"$share/g/c", 2}}, {}}, v);
  check_roundtrip(Unsubscribe{11, {"a/+", "b/#"}, {}}, v);
  if (v == Version::v5) {
    check_roundtrip(Unsuback{12, {Reason::success, Reason::no_subscription_existed}, {}}, v);
  } else {
    check_roundtrip(Unsuback{12, {}, {}}, v);  // 3.x UNSUBACK has no payload
  }
  check_roundtrip(Pingreq{}, v);
  check_roundtrip(Pingresp{}, v);
  check_roundtrip(Disconnect{}, v);
}

TEST_CASE("round trip: minimal CONNECT forms", "[codec][roundtrip]") {
  const Version v = GENERATE(Version::v3_1, Version::v3_1_1, Version::v5);
  Connect c;
  c.version = v;
  c.client_id = "x";
  check_roundtrip(c, v);
  c.username = "";
  check_roundtrip(c, v);
  c.will = Will{"t", "", 1, false, {}};
  check_roundtrip(c, v);
}

TEST_CASE("round trip: 3.x CONNACK and SUBACK return codes", "[codec][roundtrip]") {
  const Version v = GENERATE(Version::v3_1, Version::v3_1_1);
  for (const Reason r :
       {Reason::success, Reason::unsupported_protocol_version, Reason::client_identifier_not_valid,
        Reason::server_unavailable, Reason::bad_user_name_or_password, Reason::not_authorized}) {
    check_roundtrip(Connack{v == Version::v3_1_1 && r == Reason::success, r, {}}, v);
  }
  check_roundtrip(Suback{5,
                         {Reason::success, Reason::granted_qos1, Reason::granted_qos2,
                          Reason::unspecified_error},
                         {}},
                  v);
}

TEST_CASE("round trip: v5 packets with every property", "[codec][roundtrip][v5]") {
  const Version v = Version::v5;
  Connect c = connect(v);
  c.properties = connect_props();
  c.will->properties = will_props();
  check_roundtrip(c, v);

  Connect no_user = connect(v);
  no_user.username.reset();  // v5 allows a password without a user name [MQTT 3.1.2.9]
  check_roundtrip(no_user, v);

  check_roundtrip(Connack{true, Reason::success, connack_props()}, v);
  check_roundtrip(Connack{false, Reason::bad_authentication_method, {}}, v);

  Publish p = publish(1, "payload");
  p.properties = publish_props();
  check_roundtrip(p, v);
  Publish aliased = publish(0, "x");
  aliased.topic.clear();  // topic alias only [MQTT 3.3.2.3.4]
  aliased.properties.topic_alias = 3;
  check_roundtrip(aliased, v);

  check_roundtrip(ack<Puback>(1, Reason::no_matching_subscribers), v);
  check_roundtrip(ack<Puback>(1, Reason::success, reason_props()), v);
  check_roundtrip(ack<Pubrec>(2, Reason::quota_exceeded, reason_props()), v);
  check_roundtrip(ack<Pubrel>(3, Reason::packet_identifier_not_found), v);
  check_roundtrip(ack<Pubcomp>(4, Reason::success, reason_props()), v);

  Subscribe s{9, {{"a/b", 2, true, true, 2}, {"c", 1, false, false, 1}}, {}};
  s.properties.subscription_identifiers = {268435455};
  s.properties.user_properties = users();
  check_roundtrip(s, v);
  check_roundtrip(Suback{9,
                         {Reason::granted_qos2, Reason::topic_filter_invalid,
                          Reason::shared_subscriptions_not_supported,
                          Reason::wildcard_subscriptions_not_supported},
                         reason_props()},
                  v);
  Unsubscribe u{10, {"a/b"}, {}};
  u.properties.user_properties = users();
  check_roundtrip(u, v);
  check_roundtrip(Unsuback{10, {Reason::success, Reason::not_authorized}, reason_props()}, v);

  Properties dp = reason_props();
  dp.session_expiry_interval = 0;
  dp.server_reference = "elsewhere";
  check_roundtrip(Disconnect{Reason::disconnect_with_will, {}}, v);
  check_roundtrip(Disconnect{Reason::server_shutting_down, dp}, v);

  Properties ap = reason_props();
  ap.authentication_method = "SCRAM-SHA-1";
  ap.authentication_data = "client-first";
  check_roundtrip(Auth{}, v);
  check_roundtrip(Auth{Reason::continue_authentication, ap}, v);
  check_roundtrip(Auth{Reason::reauthenticate, {}}, v);
}

TEST_CASE("encoded_size matches for remaining-length boundaries", "[codec][roundtrip]") {
  for (const std::size_t n : {0, 1, 120, 121, 122, 16377, 16378, 2097145, 2097146}) {
    Publish p;
    p.topic = "t";
    p.payload = bytes(std::string(n, 'p'));
    std::string out;
    encode(p, Version::v3_1_1, out);
    CHECK(out.size() == encoded_size(p, Version::v3_1_1));
    CHECK(ferry::mqtt::test::decode_all(out, Version::v3_1_1).packet == Packet(p));
  }
}

TEST_CASE("encode appends to existing output", "[codec]") {
  std::string out = "prefix";
  encode(Pingreq{}, Version::v5, out);
  CHECK(out == std::string("prefix\xC0\x00", 8));
}
