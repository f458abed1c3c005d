// The measuring part every pub/sub-shaped scenario shares (fanin, fanout, mesh,
// latency, snfanout, snfanin): snapshots around the measured window, the drain after
// publishing stops, and the summary fields computed from them.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "bench/lib/histogram.hpp"
#include "bench/lib/options.hpp"
#include "bench/lib/summary.hpp"
#include "bench/lib/verifier.hpp"
#include "bench/scenarios/common.hpp"

namespace ferry::bench {

struct Snapshot {
  std::chrono::steady_clock::time_point at;
  std::uint64_t published = 0;
  std::uint64_t delivered = 0;
  double gen_cpu = 0;
  double broker_cpu = 0;
  double broker_wait = 0;
  double gen_wait = 0;
};

Snapshot snapshot(const RunState& s, int broker_pid);

/// Starts the clients queued on `launcher` and waits until `count` more are ready (or one
/// failed). Notes how long it took; true when all made it.
bool connect_all(RunState& s, const Options& o, Launcher& launcher, int count, const char* what);

/// Stops publishing and waits for the deliveries (and acks) still on their way. QoS 0
/// gives up 500 ms after the last delivery; QoS >= 1 waits up to --drain seconds.
void drain(RunState& s, const Options& o);

/// What the subscribers saw, merged.
struct Results {
  VerifyCounts counts;
  Histogram latency;
  std::vector<std::uint64_t> published;  // per publisher
};

/// Rates over the window a..b, counts, loss, latency percentiles, CPU and run-queue
/// wait: the summary keys from publishes_per_s to broker_wait.
void add_measurement(Summary& sum, const Options& o, const Snapshot& a, const Snapshot& b,
                     const Results& r);

}  // namespace ferry::bench
