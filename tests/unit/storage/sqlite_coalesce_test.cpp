// Events that cancel out inside one SQLite batch.
#include <catch2/catch.hpp>

#include "storage/sqlite/coalesce.hpp"

using namespace ferry::storage;
using namespace ferry::storage::sqlite;

namespace {

Event put(MessageId id) {
  return PutMessage{MessageRecord{id, nullptr}};
}
Event enq(const std::string& client, MessageId id) {
  QueuedRecord q;
  q.client_id = client;
  q.message = id;
  return Enqueue{q};
}
Event deq(const std::string& client, MessageId id) {
  return Dequeue{client, id};
}

}  // namespace

TEST_CASE("a message stored, queued and acknowledged within one batch writes nothing",
          "[storage][sqlite]") {
  // The batch's highest id (2) is always written, so restore knows it.
  std::vector<Event> batch{put(1), enq("a", 1), enq("a", 1), deq("a", 1), put(2), enq("a", 2)};
  CHECK(cancelled_events(batch) == std::vector<bool>{true, true, true, true, false, false});
}

TEST_CASE("rows that may exist on disk are never cancelled", "[storage][sqlite]") {
  // No PutMessage in this batch: message 5's row came from an earlier batch.
  std::vector<Event> batch{enq("a", 5), deq("a", 5), put(9)};
  CHECK(cancelled_events(batch) == std::vector<bool>{false, false, false});
}

TEST_CASE("a body stays while another subscriber still holds a row", "[storage][sqlite]") {
  std::vector<Event> batch{put(1), enq("a", 1), enq("b", 1), deq("a", 1), put(3)};
  CHECK(cancelled_events(batch) == std::vector<bool>{false, true, false, true, false});
}

TEST_CASE("a body with no dequeue yet is kept even without rows in the batch",
          "[storage][sqlite]") {
  // Its queue rows may land in the next batch.
  std::vector<Event> batch{put(1), put(2)};
  CHECK(cancelled_events(batch) == std::vector<bool>{false, false});
}
