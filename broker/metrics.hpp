// Broker-wide counters, updated with relaxed atomics from every shard.
#pragma once

#include <atomic>
#include <cstdint>

namespace ferry::broker {

struct Metrics {
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_refused{0};
  std::atomic<std::uint64_t> connections_current{0};
  std::atomic<std::uint64_t> messages_received{0};
  std::atomic<std::uint64_t> messages_sent{0};
  std::atomic<std::uint64_t> dropped_queue_full{0};
  std::atomic<std::uint64_t> dropped_expired{0};
  std::atomic<std::uint64_t> dropped_too_large{0};
  std::atomic<std::uint64_t> dropped_slow_consumer{0};
  std::atomic<std::uint64_t> protocol_errors{0};

  static void add(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) {
    counter.fetch_add(n, std::memory_order_relaxed);
  }
};

}  // namespace ferry::broker
