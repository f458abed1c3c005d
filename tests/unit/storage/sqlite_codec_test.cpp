// The blob formats of storage/sqlite: Properties, Will, subscription identifiers.
#include <catch2/catch.hpp>

#include "storage/sqlite/codec.hpp"
#include "storage/sqlite/storage_error.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

using namespace ferry;
using namespace ferry::storage::sqlite;

TEST_CASE("sqlite codec: properties round trip, every field", "[storage][sqlite]") {
  const auto p = storage::test::all_properties();
  CHECK(decode_properties(encode_properties(p)) == p);
  CHECK(encode_properties(mqtt::Properties{}).empty());
  CHECK(decode_properties("") == mqtt::Properties{});
  mqtt::Properties one;
  one.payload_format_indicator = 0;
  CHECK(encode_properties(one) == std::string("\x01\x00", 2));  // [MQTT 2.2.2.2] id, value
}

TEST_CASE("sqlite codec: will and ids round trip", "[storage][sqlite]") {
  mqtt::Will will{"", "", 0, false, {}};
  CHECK(decode_will(encode_will(will)) == will);
  will = {"t/\xC3\xA9", std::string(70000, '\0'), 2, true, storage::test::all_properties()};
  CHECK(decode_will(encode_will(will)) == will);
  const std::vector<std::uint32_t> ids{0, 1, 127, 128, 268435455, 0xFFFFFFFF};
  CHECK(decode_ids(encode_ids(ids)) == ids);
  CHECK(encode_ids({}).empty());
}

TEST_CASE("sqlite codec: a damaged blob throws StorageError", "[storage][sqlite]") {
  const auto blob = encode_properties(storage::test::all_properties());
  CHECK_THROWS_AS(decode_properties(blob.substr(0, blob.size() - 1)), storage::StorageError);
  CHECK_THROWS_AS(decode_properties("\x7F"), storage::StorageError);  // unknown id
  CHECK_THROWS_AS(decode_will("\x01"), storage::StorageError);
  CHECK_THROWS_AS(decode_ids("\x80"), storage::StorageError);
}
