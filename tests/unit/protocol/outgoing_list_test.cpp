// A session's in-flight window and queue: a std::list allocated only while not empty.
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "protocol/mqtt/outgoing_list.hpp"

namespace ferry::mqtt {
namespace {

// Every session holds two (SessionState::inflight and ::queue).
static_assert(sizeof(OutgoingList) == sizeof(void*));

Outgoing with_id(std::uint16_t packet_id) {
  Outgoing item;
  item.packet_id = packet_id;
  return item;
}

/// The packet ids in iteration order, through the const begin()/end().
std::vector<std::uint16_t> ids(const OutgoingList& list) {
  std::vector<std::uint16_t> result;
  for (const Outgoing& item : list) {
    result.push_back(item.packet_id);
  }
  return result;
}

OutgoingList list_of(std::initializer_list<std::uint16_t> packet_ids) {
  OutgoingList list;
  for (std::uint16_t id : packet_ids) {
    list.push_back(with_id(id));
  }
  return list;
}

using Ids = std::vector<std::uint16_t>;

}  // namespace

TEST_CASE("outgoing list: an empty one holds nothing and is an empty range", "[outgoing_list]") {
  OutgoingList list;
  CHECK(list.empty());
  CHECK(list.size() == 0);
  CHECK_FALSE(list.allocated());
  CHECK(list.begin() == list.end());
  CHECK(std::as_const(list).begin() == std::as_const(list).end());
  CHECK(ids(list).empty());
  auto found = std::find_if(list.begin(), list.end(), [](const Outgoing&) { return true; });
  CHECK(found == list.end());
}

TEST_CASE("outgoing list: push_back and push_front keep order", "[outgoing_list]") {
  OutgoingList list;
  list.push_back(with_id(2));
  CHECK(list.allocated());
  CHECK_FALSE(list.empty());
  const Outgoing three = with_id(3);
  list.push_back(three);  // a copy
  list.push_front(with_id(1));
  CHECK(list.size() == 3);
  CHECK(ids(list) == Ids{1, 2, 3});
  CHECK(list.front().packet_id == 1);
  CHECK(list.back().packet_id == 3);
  list.front().released = true;  // front() is the element, not a copy
  CHECK(list.begin()->released);
}

TEST_CASE("outgoing list: pop_front frees the list with the last element", "[outgoing_list]") {
  OutgoingList list = list_of({1, 2});
  list.pop_front();
  CHECK(list.allocated());
  CHECK(ids(list) == Ids{2});
  list.pop_front();
  CHECK_FALSE(list.allocated());
  CHECK(list.empty());
  CHECK(list.begin() == list.end());

  list.push_back(with_id(3));  // usable again after being freed
  CHECK(ids(list) == Ids{3});
}

TEST_CASE("outgoing list: erase returns the next element or end()", "[outgoing_list]") {
  OutgoingList list = list_of({1, 2, 3});
  auto next = list.erase(std::next(list.begin()));
  REQUIRE(next != list.end());
  CHECK(next->packet_id == 3);
  CHECK(ids(list) == Ids{1, 3});

  next = list.erase(next);  // the last one
  CHECK(next == list.end());
  CHECK(ids(list) == Ids{1});

  next = list.erase(list.begin());  // the only one: freed
  CHECK_FALSE(list.allocated());
  CHECK(next == list.end());
  CHECK(next == list.begin());
}

TEST_CASE("outgoing list: acknowledging out of order leaves it unallocated", "[outgoing_list]") {
  // The way Connection::handle_ack finds and erases a PUBACKed id.
  OutgoingList list = list_of({10, 11, 12});
  for (std::uint16_t acked : {11, 12, 10}) {
    auto it = std::find_if(list.begin(), list.end(),
                           [&](const Outgoing& o) { return o.packet_id == acked; });
    REQUIRE(it != list.end());
    list.erase(it);
  }
  CHECK(list.empty());
  CHECK_FALSE(list.allocated());
}

TEST_CASE("outgoing list: clear and swap", "[outgoing_list]") {
  OutgoingList list = list_of({1, 2});
  list.clear();
  CHECK(list.empty());
  CHECK_FALSE(list.allocated());

  // Connection::resend_inflight takes the whole window this way.
  OutgoingList window = list_of({4, 5});
  OutgoingList previous;
  previous.swap(window);
  CHECK(ids(previous) == Ids{4, 5});
  CHECK(window.empty());
  CHECK_FALSE(window.allocated());
}

TEST_CASE("outgoing list: assignment from an initializer list", "[outgoing_list]") {
  OutgoingList list = list_of({9});
  list = {with_id(1), with_id(2), with_id(3)};
  CHECK(ids(list) == Ids{1, 2, 3});
  CHECK(list.size() == 3);
  list = {};
  CHECK(list.empty());
  CHECK_FALSE(list.allocated());

  OutgoingList built{with_id(7), with_id(8)};
  CHECK(ids(built) == Ids{7, 8});
}

TEST_CASE("outgoing list: a moved-from list is empty", "[outgoing_list]") {
  OutgoingList list = list_of({1, 2});
  OutgoingList taken = std::move(list);
  CHECK(ids(taken) == Ids{1, 2});
  CHECK(list.empty());  // NOLINT(bugprone-use-after-move): defined for this type
  CHECK_FALSE(list.allocated());
  CHECK(list.begin() == list.end());
}

}  // namespace ferry::mqtt
