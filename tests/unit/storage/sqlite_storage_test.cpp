// SQLite-only behaviour: durability across reopen, commit callbacks after the data is in
// the files, and recovery from a full disk.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <future>
#include <thread>

#include "storage/sqlite/sqlite_storage.hpp"
#include "tests/unit/storage/storage_contract.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

using namespace ferry;
using namespace ferry::storage;
using test::TempDb;

namespace {

void write_one_of_everything(Storage& s, mqtt::Clock::time_point expiry) {
  mqtt::Will will{"w", "gone", 1, false, test::all_properties()};
  s.put_session({"c1", mqtt::Version::v5, 300, will, 5, 1700000001});
  s.put_subscription({"c1", "a/#", {"a/#", 2, true, false, 1}, 12});
  auto r = std::make_shared<mqtt::Message>(*test::retained("r", "kept"));
  r->expires_at = expiry;
  s.put_retained(r);
  auto m = std::make_shared<mqtt::Message>(*test::message("a/b", "body", 2));
  m->properties = test::all_properties();
  m->expires_at = expiry;
  s.put_message({100, m});
  s.put_message({101, test::message("a/c", "gone soon")});
  s.enqueue({"c1", 100, 2, false, {12}, 7, true});
  s.enqueue({"c1", 101, 1});
  s.dequeue("c1", 101);  // body 101 goes with its last row; highest id stays 101
  s.put_inbound_qos2("c1", 42);
  s.put_topic({"c1", 3, "gone"});
  s.put_topic({"c1", 1, "sensors/temp"});
  s.put_topic({"c1", 3, "sensors/humidity"});  // replaces
  s.put_topic({"c2", 1, "other"});
  s.erase_topic("c2", 1);
}

}  // namespace

TEST_CASE("sqlite: reopening restores everything written and flushed", "[storage][sqlite]") {
  TempDb db;
  const auto expiry = mqtt::Clock::now() + std::chrono::minutes(10);
  {
    SqliteStorage s({db.path()});
    write_one_of_everything(s, expiry);
    s.flush();
  }
  SqliteStorage s({db.path()});
  const auto r = test::restore_all(s);
  REQUIRE(r.sessions.size() == 1);
  CHECK(r.sessions[0].will->properties == test::all_properties());
  CHECK(r.sessions[0].disconnected_at == 1700000001);
  REQUIRE(r.subscriptions.size() == 1);
  CHECK(r.subscriptions[0].options == mqtt::SubscribeTopic{"a/#", 2, true, false, 1});
  REQUIRE(r.retained.size() == 1);
  test::check_near(r.retained[0]->expires_at, expiry);
  REQUIRE(r.messages.size() == 1);
  CHECK(r.messages[0].id == 100);
  CHECK(r.messages[0].message->properties == test::all_properties());
  test::check_near(r.messages[0].message->expires_at, expiry);
  REQUIRE(r.queued.size() == 1);
  CHECK(r.queued[0].packet_id == 7);
  CHECK(r.queued[0].released);
  CHECK(r.inbound.size() == 1);
  CHECK(test::topics_of(r) == test::Topics{"c1 1 sensors/temp", "c1 3 sensors/humidity"});
  CHECK(r.highest == 101);  // the deleted body's id is not handed out again
}

TEST_CASE("sqlite: queue order survives reopen and later enqueues", "[storage][sqlite]") {
  TempDb db;
  {
    SqliteStorage s({db.path()});
    s.put_message({1, test::message("t", "1")});
    s.put_message({2, test::message("t", "2")});
    s.enqueue({"c", 2, 1});
    s.enqueue({"c", 1, 1});
  }
  SqliteStorage s({db.path()});
  s.put_message({3, test::message("t", "3")});
  s.enqueue({"c", 3, 1});
  s.enqueue({"c", 2, 1, false, {}, 9});  // replace: keeps its place
  const auto r = test::restore_all(s);
  REQUIRE(r.queued.size() == 3);
  CHECK(r.queued[0].message == 2);
  CHECK(r.queued[0].packet_id == 9);
  CHECK(r.queued[1].message == 1);
  CHECK(r.queued[2].message == 3);
}

// The callback runs on the writer thread between batches, so a copy of the files taken
// inside it is what a crash at that moment would leave behind.
TEST_CASE("sqlite: commit(true) comes only once the data is in the files", "[storage][sqlite]") {
  TempDb db;
  constexpr int k_rounds = 20;
  std::vector<std::unique_ptr<TempDb>> snapshots;
  for (int i = 0; i < k_rounds; ++i) {
    snapshots.push_back(std::make_unique<TempDb>());
  }
  std::atomic<int> ok_calls{0};
  {
    SqliteStorage s({db.path()});
    for (int i = 0; i < k_rounds; ++i) {
      s.put_message({static_cast<MessageId>(i + 1), test::message("t", std::to_string(i))});
      s.enqueue({"c", static_cast<MessageId>(i + 1), 1});
      s.commit([&, i](bool ok) {
        namespace fs = std::filesystem;
        const auto& to = snapshots[i]->path();
        fs::copy_file(db.path(), to);
        if (fs::exists(db.path().string() + "-wal")) {
          fs::copy_file(db.path().string() + "-wal", to.string() + "-wal");
        }
        ok_calls += ok ? 1 : 0;
      });
      if (i % 3 == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // vary batch sizes
      }
    }
    s.flush();
  }
  CHECK(ok_calls == k_rounds);
  for (int i = 0; i < k_rounds; ++i) {
    SqliteStorage copy({snapshots[i]->path()});
    const auto r = test::restore_all(copy);
    INFO("snapshot after commit " << i);
    CHECK(r.queued.size() >= static_cast<std::size_t>(i + 1));
    CHECK(r.highest >= static_cast<MessageId>(i + 1));
  }
}

TEST_CASE("sqlite: a full disk fails the batch, then the store recovers", "[storage][sqlite]") {
  TempDb db;
  SqliteStorage s({db.path()});
  s.put_session({"c", mqtt::Version::v5, 60, std::nullopt, 0, 0});
  s.flush();
  REQUIRE(s.healthy());
  s.set_max_page_count_for_test(1);  // clamps to the current size: no page can be added

  std::promise<bool> first;
  s.put_message({1, test::message("big", std::string(200000, 'x'))});
  s.enqueue({"c", 1, 1});
  s.commit([&](bool ok) { first.set_value(ok); });
  CHECK_FALSE(first.get_future().get());
  CHECK_FALSE(s.healthy());
  CHECK(s.failed_batches() >= 1);
  CHECK_THAT(s.last_error(), Catch::Contains(db.path().string()) && Catch::Contains("full"));
  s.flush();  // returns although the events are still waiting for space

  s.set_max_page_count_for_test(1u << 30);  // space is back
  std::promise<bool> second;
  s.put_inbound_qos2("c", 3);
  s.commit([&](bool ok) { second.set_value(ok); });
  CHECK(second.get_future().get());
  CHECK(s.healthy());
  const auto r = test::restore_all(s);
  REQUIRE(r.messages.size() == 1);  // the failed batch's events were retried
  CHECK(r.messages[0].message->payload->size() == 200000);
  CHECK(r.queued.size() == 1);
  CHECK(r.inbound.size() == 1);
}

TEST_CASE("sqlite: a failed batch is retried without new events", "[storage][sqlite]") {
  TempDb db;
  SqliteStorage s({db.path()});
  s.flush();
  s.set_max_page_count_for_test(1);
  s.put_retained(test::retained("big", std::string(100000, 'y')));
  s.flush();
  REQUIRE_FALSE(s.healthy());
  s.set_max_page_count_for_test(1u << 30);
  for (int i = 0; i < 100 && !s.healthy(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(s.healthy());
  CHECK(test::restore_all(s).retained.size() == 1);
}

TEST_CASE("sqlite: periodic sync still answers commits, at most an interval later",
          "[storage][sqlite]") {
  TempDb db;
  SqliteStorage s({db.path(), SqliteOptions::Sync::periodic, 30});
  std::atomic<int> calls{0};
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    s.put_inbound_qos2("c", static_cast<std::uint16_t>(i + 1));
    s.commit([&](bool ok) { calls += ok ? 1 : 0; });
  }
  while (calls < 5 && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(calls == 5);
  CHECK(s.committed_batches() < 5);  // grouped, not one transaction per commit
}

TEST_CASE("sqlite: many threads share batches", "[storage][sqlite]") {
  TempDb db;
  SqliteStorage s({db.path()});
  constexpr int k_threads = 4;
  constexpr int k_each = 200;
  std::atomic<int> acked{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < k_each; ++i) {
        const auto id = static_cast<MessageId>(t * k_each + i + 1);
        s.put_message({id, test::message("t", "x")});
        s.enqueue({"c" + std::to_string(t), id, 1});
        s.commit([&](bool ok) { acked += ok ? 1 : 0; });
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  s.flush();
  CHECK(acked == k_threads * k_each);
  const auto r = test::restore_all(s);
  CHECK(r.queued.size() == k_threads * k_each);
  for (std::size_t i = 1; i < r.queued.size(); ++i) {
    if (r.queued[i].client_id == r.queued[i - 1].client_id) {
      CHECK(r.queued[i].message > r.queued[i - 1].message);  // per-thread order kept
    }
  }
  WARN("4 threads x 200 commits: " << s.committed_batches() << " transactions");
}

TEST_CASE("sqlite: a group lands in one transaction, even past max_batch", "[storage][sqlite]") {
  TempDb db;
  SqliteOptions options{db.path()};
  options.max_batch = 1;  // every other event gets a transaction of its own
  SqliteStorage s(options);
  s.put_session({"sub", mqtt::Version::v5, 300});
  s.flush();
  const auto before = s.committed_batches();
  s.begin_group();
  s.put_inbound_qos2("pub", 7);
  s.put_message({1, test::message("a/b", "m", 2)});
  s.enqueue({"sub", 1, 2});
  s.end_group();
  s.flush();
  // The group's transaction and the flush marker's; split up, it would take four.
  CHECK(s.committed_batches() - before == 2);
  const auto r = test::restore_all(s);
  REQUIRE(r.queued.size() == 1);
  CHECK(r.queued[0].message == 1);
  CHECK(r.inbound.size() == 1);
}
