// Deterministic mutation test: corrupted packets never crash the decoder, and whatever
// it accepts re-encodes to something that decodes to the same packet.
#include <cstdint>
#include <random>
#include <vector>

#include "codec_test_util.hpp"

using namespace ferry::mqtt;
using ferry::mqtt::test::as_span;
using ferry::mqtt::test::encoded;

namespace {

std::vector<Packet> seeds() {
  Connect c;
  c.version = Version::v5;
  c.client_id = "seed";
  c.will = Will{"w/t", "bye", 1, false, {}};
  c.will->properties.message_expiry_interval = 5;
  c.username = "u";
  c.password = "p";
  c.properties.receive_maximum = 10;
  c.properties.user_properties = {{"k", "v"}};
  Connect c311 = c;
  c311.version = Version::v3_1_1;
  c311.will->properties = {};
  c311.properties = {};
  Publish p;
  p.topic = "a/b";
  p.qos = 1;
  p.packet_id = 9;
  p.payload = std::make_shared<const std::string>("data");
  p.properties.subscription_identifiers = {3};
  p.properties.content_type = "x";
  Properties reason;
  reason.reason_string = "r";
  Puback ack;
  ack.packet_id = 4;
  ack.reason = Reason::quota_exceeded;
  ack.properties = reason;
  return {c,
          c311,
          Connack{true, Reason::success, reason},
          p,
          ack,
          Subscribe{7, {{"a/+", 1, true, false, 1}, {"#", 2}}, {}},
          Suback{7, {Reason::granted_qos1, Reason::unspecified_error}, reason},
          Unsubscribe{8, {"a", "b"}, {}},
          Unsuback{8, {Reason::success}, {}},
          Disconnect{Reason::server_busy, reason},
          Auth{Reason::continue_authentication, reason}};
}

Decoded try_decode(std::string_view bytes, Version v) {
  const auto span = as_span(bytes);
  const Frame f = scan_frame(span, 0);
  if (f.status != Frame::Status::ok) {
    return Decoded{Packet{}, Reason::malformed_packet};
  }
  return decode(f, span.subspan(f.header_size, f.remaining_length), v);
}

}  // namespace

TEST_CASE("mutated packets: no crash, accepted ones round trip", "[codec][mutation]") {
  std::mt19937 rng(12345);  // fixed seed: reproducible
  std::size_t accepted = 0;
  std::size_t total = 0;
  for (const Version v : {Version::v3_1_1, Version::v5}) {
    for (const Packet& seed : seeds()) {
      const std::string base = encoded(seed, v);
      for (int round = 0; round < 400; ++round) {
        std::string m = base;
        const int edits = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < edits; ++e) {
          const std::size_t at = 1 + rng() % (m.size() - 1);  // keep the type byte mostly
          m[at] = static_cast<char>(rng() % 4 == 0 ? m[at] ^ (1 << (rng() % 8)) : rng());
        }
        ++total;
        const Decoded d = try_decode(m, v);
        if (!d.ok()) {
          continue;
        }
        ++accepted;
        const Version again =
            std::holds_alternative<Connect>(d.packet) ? std::get<Connect>(d.packet).version : v;
        const std::string re = encoded(d.packet, again);
        INFO(ferry::mqtt::test::hex(m) << " -> " << ferry::mqtt::test::hex(re));
        const Decoded d2 = try_decode(re, again);
        REQUIRE(d2.ok());
        CHECK(d2.packet == d.packet);
        CHECK(encoded_size(d.packet, again) == re.size());
      }
    }
  }
  CHECK(total == 2 * seeds().size() * 400);
  CHECK(accepted > 0);  // the mutations do reach the accept path
}

TEST_CASE("random byte streams never crash the decoder", "[codec][mutation]") {
  std::mt19937 rng(777);
  for (int round = 0; round < 20000; ++round) {
    std::string m(2 + rng() % 40, '\0');
    for (char& ch : m) {
      ch = static_cast<char>(rng());
    }
    m[1] = static_cast<char>(m.size() - 2);  // a consistent remaining length
    const Version v = static_cast<Version>(3 + rng() % 3);
    const Decoded d = try_decode(m, v);
    (void)d;
  }
  SUCCEED("20000 random packets decoded without crashing");
}
