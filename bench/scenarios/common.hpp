// Pieces every scenario shares: run-wide counters, bounded-concurrency connection start,
// client settings from the options, clocks and the main thread's wait loop.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "bench/client/client.hpp"
#include "bench/client/workers.hpp"
#include "bench/lib/options.hpp"

namespace ferry::bench {

inline std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

/// Counters and flags shared by the main thread and every generator thread.
struct RunState {
  std::atomic<int> ready{0};
  std::atomic<int> failed{0};
  std::atomic<bool> measuring{false};
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> published{0};
  std::atomic<std::uint64_t> expected{0};  // deliveries the publishes so far should cause
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> completed{0};  // PUBACK / PUBCOMP received
  std::mutex mutex;
  std::string first_error;
  /// Records a client failure (thread-safe); the first message is kept for the report.
  void error(const std::string& what);
};

/// Starts clients with at most `concurrency` connection attempts in flight (split over
/// threads); a role calls next(thread) once its client is ready or has failed.
class Launcher {
 public:
  Launcher(Workers& workers, int concurrency);
  void add(std::size_t thread, Client* client);
  /// Any other kind of client: `start` runs on `thread` when its turn comes.
  void add(std::size_t thread, std::function<void()> start);
  void start();                   // main thread
  void next(std::size_t thread);  // on `thread`

 private:
  struct Queue {
    std::vector<std::function<void()>> clients;
    std::size_t cursor = 0;
  };
  Workers& workers_;
  std::vector<Queue> queues_;
  std::size_t per_thread_;
};

ClientSettings client_settings(const Options& o, const std::string& client_id);

/// Sleeps until `done()` or `timeout` seconds, calling `tick()` every 50 ms. Returns done().
bool wait_until(const std::function<bool()>& done, double timeout,
                const std::function<void()>& tick = {});

/// Prints a human-readable line to stderr unless --quiet.
void note(const Options& o, const std::string& line);

}  // namespace ferry::bench
