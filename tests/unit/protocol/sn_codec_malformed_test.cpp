// MQTT-SN codec: datagrams that must be rejected, each with the reason.
#include "tests/unit/protocol/sn_test_util.hpp"

namespace ferry::sn::test {
namespace {

struct Bad {
  const char* name;
  std::string wire;
  DecodeError error;
};

TEST_CASE("sn codec: malformed datagrams are rejected", "[sn][codec]") {
  const std::vector<Bad> table{
      {"empty", "", DecodeError::too_short},
      {"one octet", bytes({2}), DecodeError::too_short},
      {"long form without its two octets", bytes({0x01, 0x00}), DecodeError::too_short},
      {"length larger than datagram", bytes({5, 0x16, 'a'}), DecodeError::length_mismatch},
      {"length smaller than datagram", bytes({2, 0x16, 'a'}), DecodeError::length_mismatch},
      {"length zero", bytes({0, 0x17}), DecodeError::length_mismatch},
      {"long form length mismatch", bytes({0x01, 0x00, 0x05, 0x17}), DecodeError::length_mismatch},
      {"reserved type 0x03", bytes({2, 0x03}), DecodeError::unknown_type},
      {"reserved type 0x11", bytes({2, 0x11}), DecodeError::unknown_type},
      {"reserved type 0x19", bytes({2, 0x19}), DecodeError::unknown_type},
      {"reserved type 0x1E", bytes({2, 0x1E}), DecodeError::unknown_type},
      {"reserved type 0xFF", bytes({2, 0xFF}), DecodeError::unknown_type},
      {"ADVERTISE truncated", bytes({4, 0x00, 1, 0}), DecodeError::truncated},
      {"ADVERTISE trailing", bytes({6, 0x00, 1, 0, 5, 9}), DecodeError::trailing_bytes},
      {"SEARCHGW without radius", bytes({2, 0x01}), DecodeError::truncated},
      {"CONNECT protocol id 2", bytes({7, 0x04, 0x04, 0x02, 0, 10, 'c'}),
       DecodeError::reserved_value},
      {"CONNECT truncated duration", bytes({5, 0x04, 0x04, 0x01, 0}), DecodeError::truncated},
      {"CONNACK reserved return code", bytes({3, 0x05, 0x04}), DecodeError::reserved_value},
      {"CONNACK without code", bytes({2, 0x05}), DecodeError::truncated},
      {"WILLTOPICREQ with body", bytes({3, 0x06, 0}), DecodeError::trailing_bytes},
      {"REGISTER truncated", bytes({5, 0x0A, 0, 0, 0}), DecodeError::truncated},
      {"REGACK truncated", bytes({6, 0x0B, 0, 1, 0, 5}), DecodeError::truncated},
      {"REGACK reserved code", bytes({7, 0x0B, 0, 1, 0, 5, 0x80}), DecodeError::reserved_value},
      {"PUBLISH truncated", bytes({6, 0x0C, 0x00, 0, 1, 0}), DecodeError::truncated},
      {"PUBLISH topic id type 0b11", bytes({7, 0x0C, 0x03, 0, 1, 0, 0}),
       DecodeError::reserved_value},
      {"PUBACK trailing", bytes({8, 0x0D, 0, 1, 0, 2, 0, 9}), DecodeError::trailing_bytes},
      {"PUBREC truncated", bytes({3, 0x0F, 1}), DecodeError::truncated},
      {"PUBREL trailing", bytes({5, 0x10, 0, 1, 2}), DecodeError::trailing_bytes},
      {"PUBCOMP empty", bytes({2, 0x0E}), DecodeError::truncated},
      {"SUBSCRIBE without topic", bytes({5, 0x12, 0x20, 0, 1}), DecodeError::truncated},
      {"SUBSCRIBE predefined 3 octets", bytes({8, 0x12, 0x21, 0, 1, 0, 1, 9}),
       DecodeError::trailing_bytes},
      {"SUBSCRIBE predefined 1 octet", bytes({6, 0x12, 0x21, 0, 1, 0}), DecodeError::truncated},
      {"SUBSCRIBE topic id type 0b11", bytes({7, 0x12, 0x23, 0, 1, 0, 1}),
       DecodeError::reserved_value},
      {"UNSUBSCRIBE topic id type 0b11", bytes({7, 0x14, 0x03, 0, 1, 0, 1}),
       DecodeError::reserved_value},
      {"SUBACK truncated", bytes({7, 0x13, 0x20, 0, 1, 0, 1}), DecodeError::truncated},
      {"UNSUBACK truncated", bytes({3, 0x15, 0}), DecodeError::truncated},
      {"PINGRESP with body", bytes({3, 0x17, 1}), DecodeError::trailing_bytes},
      {"DISCONNECT one octet duration", bytes({3, 0x18, 1}), DecodeError::truncated},
      {"DISCONNECT three octets", bytes({5, 0x18, 0, 1, 2}), DecodeError::trailing_bytes},
      {"WILLTOPICRESP reserved code", bytes({3, 0x1B, 0xFF}), DecodeError::reserved_value},
      {"WILLMSGRESP truncated", bytes({2, 0x1D}), DecodeError::truncated},
      {"encapsulation reserved ctrl bits", bytes({4, 0xFE, 0x04, 1, 2, 0x16}),
       DecodeError::reserved_value},
      {"encapsulation header longer than datagram", bytes({9, 0xFE, 0, 1}),
       DecodeError::length_mismatch},
      {"encapsulation without ctrl", bytes({2, 0xFE}), DecodeError::length_mismatch},
      {"encapsulation of nothing", bytes({4, 0xFE, 0, 1}), DecodeError::too_short},
      {"encapsulation of a bad message", bytes({4, 0xFE, 0, 1, 3, 0x16}),
       DecodeError::length_mismatch},
      {"nested encapsulation", bytes({4, 0xFE, 0, 1, 4, 0xFE, 0, 2, 2, 0x16}),
       DecodeError::reserved_value},
  };
  for (const auto& bad : table) {
    INFO(bad.name);
    Decoded decoded = decode(bad.wire);
    CHECK_FALSE(decoded.ok());
    CHECK(to_string(decoded.error) == to_string(bad.error));
  }
}

TEST_CASE("sn codec: every truncation of a valid message is rejected", "[sn][codec]") {
  const std::vector<std::string> valid{
      encode(Connect{qos_flags(0), 30, "client"}),
      encode(Publish{qos_flags(1), 1, 2, "payload"}),
      encode(Suback{qos_flags(1), 4, 1, ReturnCode::accepted}),
      encode(Regack{1, 5, ReturnCode::accepted}),
      encode(Publish{qos_flags(0), 1, 0, std::string(300, 'p')}),
  };
  for (const auto& wire : valid) {
    for (std::size_t n = 0; n < wire.size(); ++n) {
      INFO("prefix " << n << " of " << wire.size());
      CHECK_FALSE(decode(std::string_view(wire).substr(0, n)).ok());
    }
  }
}

TEST_CASE("sn codec: every single-octet change decodes or fails without crashing", "[sn][codec]") {
  std::string wire = encode(Publish{qos_flags(2, TopicIdType::short_name), 0x6162, 7, "data"});
  std::size_t ok = 0;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    for (int v = 0; v < 256; ++v) {
      std::string mutated = wire;
      mutated[i] = static_cast<char>(v);
      Decoded decoded = decode(mutated);
      if (decoded.ok()) {
        ++ok;
        CHECK(decode(encode(decoded.message)).message == decoded.message);
      }
    }
  }
  CHECK(ok > 0);
}

}  // namespace
}  // namespace ferry::sn::test
