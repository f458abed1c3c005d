// The inbound QoS 2 packet ids a session holds: a small sorted vector.
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include <catch2/catch.hpp>

#include "protocol/mqtt/packet_id_set.hpp"

namespace ferry::mqtt {

// Every session holds one (SessionState::inbound_qos2): no bigger than an empty vector.
static_assert(sizeof(PacketIdSet) == sizeof(std::vector<std::uint16_t>));

TEST_CASE("packet id set: insert, contains, erase", "[packet_ids]") {
  PacketIdSet ids;
  CHECK(ids.empty());
  CHECK_FALSE(ids.contains(1));
  CHECK(ids.erase(1) == 0);

  CHECK(ids.insert(7));
  CHECK_FALSE(ids.insert(7));  // a resent PUBLISH: still one
  CHECK(ids.insert(65535));
  CHECK(ids.insert(1));
  CHECK(ids.size() == 3);
  CHECK(ids.contains(1));
  CHECK(ids.contains(7));
  CHECK(ids.contains(65535));
  CHECK_FALSE(ids.contains(2));
  CHECK_FALSE(ids.contains(0));

  CHECK(ids.erase(7) == 1);
  CHECK(ids.erase(7) == 0);
  CHECK_FALSE(ids.contains(7));
  CHECK(ids.size() == 2);
  ids.clear();
  CHECK(ids.empty());
  CHECK_FALSE(ids.contains(1));
}

TEST_CASE("packet id set: agrees with std::set over random use", "[packet_ids]") {
  std::mt19937 random(42);
  std::uniform_int_distribution<int> id(1, 200);
  PacketIdSet ids;
  std::set<std::uint16_t> reference;
  for (int i = 0; i < 20000; ++i) {
    const auto n = static_cast<std::uint16_t>(id(random));
    if (random() % 2 == 0) {
      REQUIRE(ids.insert(n) == reference.insert(n).second);
    } else {
      REQUIRE(ids.erase(n) == reference.erase(n));
    }
    REQUIRE(ids.size() == reference.size());
    REQUIRE(ids.contains(n) == reference.contains(n));
  }
  for (int n = 0; n <= 201; ++n) {
    CHECK(ids.contains(static_cast<std::uint16_t>(n)) ==
          reference.contains(static_cast<std::uint16_t>(n)));
  }
}

}  // namespace ferry::mqtt
