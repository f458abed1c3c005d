// Figures, not assertions: write amplification (in the normal run) and group-commit
// throughput (hidden: ./build/tests/test_storage "[bench]").
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <thread>

#include "storage/sqlite/sqlite_storage.hpp"
#include "tests/unit/storage/storage_test_util.hpp"

using namespace ferry;
using namespace ferry::storage;
using Sync = SqliteOptions::Sync;

namespace {

/// Bytes this process handed to write()/pwrite() so far (/proc/self/io "wchar"):
/// during the measurement that is the writer thread writing the database and its WAL.
std::uint64_t written_bytes() {
  std::ifstream in("/proc/self/io");
  std::string key;
  std::uint64_t value = 0;
  while (in >> key >> value) {
    if (key == "wchar:") {
      return value;
    }
  }
  return 0;
}

const char* name(Sync sync) {
  return sync == Sync::ack ? "ack" : sync == Sync::periodic ? "periodic" : "off";
}

}  // namespace

TEST_CASE("sqlite: write amplification per queued message (figure)", "[storage][sqlite]") {
  test::TempDb db;
  SqliteStorage s({db.path()});
  constexpr int k_messages = 2000;
  constexpr std::size_t k_payload = 100;
  s.put_session({"c", mqtt::Version::v5, 60, std::nullopt, 0, 0});
  s.flush();
  const auto before = written_bytes();
  for (int i = 1; i <= k_messages; ++i) {
    s.put_message(
        {static_cast<MessageId>(i), test::message("sensors/a/b", std::string(k_payload, 'p'))});
    s.enqueue({"c", static_cast<MessageId>(i), 1});
    if (i % 10 == 0) {
      s.commit([](bool) {});
      s.flush();  // one transaction per 10 messages, as a busy broker would group them
    }
  }
  const auto stored = written_bytes() - before;
  for (int i = 1; i <= k_messages; ++i) {
    s.dequeue("c", static_cast<MessageId>(i));
    if (i % 10 == 0) {
      s.flush();
    }
  }
  const auto total = written_bytes() - before;
  WARN("write amplification, " << k_payload << "-byte payloads, 10 messages per transaction: "
                               << stored / k_messages
                               << " bytes written per message stored+queued, " << total / k_messages
                               << " per message stored, queued and dequeued");
}

namespace {

// One publisher pushing 100 000 put_message+enqueue pairs with a commit() after every 10.
void open_loop(Sync sync) {
  test::TempDb db;
  SqliteStorage s({db.path(), sync, 10});
  constexpr int k_pairs = 100000;
  std::atomic<int> acked{0};
  const auto payload = std::string(100, 'p');
  const auto start = std::chrono::steady_clock::now();
  for (int i = 1; i <= k_pairs; ++i) {
    s.put_message({static_cast<MessageId>(i), test::message("bench/t", payload)});
    s.enqueue({"c" + std::to_string(i % 50), static_cast<MessageId>(i), 1});
    if (i % 10 == 0) {
      s.commit([&](bool ok) { acked += ok ? 1 : 0; });
    }
  }
  s.flush();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  WARN("sync=" << name(sync) << " open loop: " << 2 * k_pairs << " events + " << acked
               << " commits in " << secs << " s: " << 2 * k_pairs / secs << " events/s, "
               << acked / secs << " commits/s, " << s.committed_batches() << " transactions ("
               << s.committed_batches() / secs << "/s)");
}

// 16 publishers, each waiting for its commit before the next 10 pairs (as a QoS 1
// publisher waits for PUBACK): the commits of concurrent publishers share an fsync.
void closed_loop(Sync sync) {
  test::TempDb db;
  SqliteStorage s({db.path(), sync, 10});
  constexpr int k_threads = 16;
  constexpr int k_rounds = 100;
  std::atomic<MessageId> next{1};
  const auto payload = std::string(100, 'p');
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < k_rounds; ++r) {
        for (int k = 0; k < 10; ++k) {
          const MessageId id = next++;
          s.put_message({id, test::message("bench/t", payload)});
          s.enqueue({"c" + std::to_string(t), id, 1});
        }
        std::promise<bool> done;
        s.commit([&](bool ok) { done.set_value(ok); });
        done.get_future().wait();
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int commits = k_threads * k_rounds;
  WARN("sync=" << name(sync) << " closed loop, " << k_threads << " publishers: " << commits * 20
               << " events, " << commits << " commits in " << secs << " s: " << commits * 20 / secs
               << " events/s, " << commits / secs << " commits/s, " << s.committed_batches()
               << " transactions (" << commits / double(s.committed_batches())
               << " commits per fsync)");
}

}  // namespace

TEST_CASE("sqlite: group commit throughput (figure)", "[.][bench][sqlite]") {
  for (auto sync : {Sync::ack, Sync::periodic, Sync::off}) {
    open_loop(sync);
    closed_loop(sync);
  }
}
