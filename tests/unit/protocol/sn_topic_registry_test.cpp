// The per-client MQTT-SN topic id registry [MQTT-SN 6.5].
#include <catch2/catch.hpp>

#include "protocol/sn/topic_registry.hpp"

using ferry::sn::TopicRegistry;

TEST_CASE("sn topic registry: one id per name, new ids above the highest in use", "[sn]") {
  TopicRegistry r;
  auto a = r.assign("a/b", true, 10);
  auto b = r.assign("c/d", true, 10);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == 1);
  CHECK(*b == 2);
  CHECK(r.assign("a/b", true, 10) == a);
  r.erase(*a);
  CHECK(r.name_of(*a) == nullptr);
  CHECK(r.assign("e/f", true, 10) == 3);  // an id dropped below the top is not reused at once
  CHECK(r.assign("g/h", true, 2) == std::nullopt);  // full: two ids already
}

TEST_CASE("sn topic registry: unconfirmed gateway registrations", "[sn]") {
  TopicRegistry r;
  auto id = r.assign("x/y", false, 10);
  REQUIRE(id);
  CHECK(*r.name_of(*id) == "x/y");               // the client may use it in its answer
  CHECK(r.confirmed_id("x/y") == std::nullopt);  // the gateway may not publish with it yet
  r.confirm(*id);
  CHECK(r.confirmed_id("x/y") == id);
  auto other = r.assign("p/q", false, 10);
  r.drop_unconfirmed();  // the connection ended before the REGACK
  CHECK(r.size() == 1);
  CHECK(r.name_of(*other) == nullptr);
  CHECK(r.confirmed_id("x/y") == id);
}

TEST_CASE("sn topic registry: restore keeps order and refuses clashes", "[sn]") {
  TopicRegistry r;
  CHECK(r.restore(7, "z"));
  CHECK(r.restore(3, "a"));
  CHECK_FALSE(r.restore(7, "b"));       // id taken
  CHECK_FALSE(r.restore(9, "a"));       // name taken
  CHECK_FALSE(r.restore(0, "c"));       // reserved
  CHECK_FALSE(r.restore(0xFFFF, "c"));  // reserved
  REQUIRE(r.entries().size() == 2);
  CHECK(r.entries()[0].name == "a");
  CHECK(r.entries()[1].name == "z");
  CHECK(r.assign("m", true, 10) == 8);
}

TEST_CASE("sn topic registry: past the top id, the lowest free one", "[sn]") {
  TopicRegistry r;
  REQUIRE(r.restore(0xFFFE, "top"));
  REQUIRE(r.restore(1, "one"));
  CHECK(r.assign("next", true, 10) == 2);
}
