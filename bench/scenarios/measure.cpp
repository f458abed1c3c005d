#include "bench/scenarios/measure.hpp"

#include "bench/lib/proc_stats.hpp"

namespace ferry::bench {

Snapshot snapshot(const RunState& s, int broker_pid) {
  Snapshot x;
  x.at = std::chrono::steady_clock::now();
  x.published = s.published.load();
  x.delivered = s.delivered.load();
  x.gen_cpu = cpu_seconds(0).value_or(0);
  x.broker_cpu = broker_pid > 0 ? cpu_seconds(broker_pid).value_or(0) : 0;
  x.broker_wait = broker_pid > 0 ? run_queue_wait_seconds(broker_pid).value_or(0) : 0;
  x.gen_wait = run_queue_wait_seconds(0).value_or(0);
  return x;
}

bool connect_all(RunState& s, const Options& o, Launcher& launcher, int count, const char* what) {
  const int before = s.ready.load();
  const auto start = std::chrono::steady_clock::now();
  launcher.start();
  const int want = before + count;
  const bool ok =
      wait_until([&] { return s.ready.load() >= want || s.failed.load() > 0; }, 30 + count / 200.0);
  note(o, "connected " + std::to_string(s.ready.load() - before) + " " + what + " in " +
              std::to_string(seconds_since(start)) + " s");
  return ok && s.failed.load() == 0;
}

void drain(RunState& s, const Options& o) {
  s.stopping = true;
  std::uint64_t last = s.delivered.load();
  auto last_change = std::chrono::steady_clock::now();
  wait_until(
      [&] {
        const std::uint64_t d = s.delivered.load();
        if (d != last) {
          last = d;
          last_change = std::chrono::steady_clock::now();
        }
        const bool acked = o.qos == 0 || s.completed.load() >= s.published.load();
        if (d >= s.expected.load() && acked) {
          return true;
        }
        return o.qos == 0 && seconds_since(last_change) > 0.5;
      },
      o.drain);
}

void add_measurement(Summary& sum, const Options& o, const Snapshot& a, const Snapshot& b,
                     const Results& r) {
  const double secs = std::chrono::duration<double>(b.at - a.at).count();
  sum.add("publishes_per_s", (b.published - a.published) / secs, 0);
  sum.add("deliveries_per_s", (b.delivered - a.delivered) / secs, 0);
  sum.add("published", r.counts.expected).add("delivered", r.counts.received);
  sum.add("lost", r.counts.lost());
  sum.add("loss_pct", r.counts.expected ? 100.0 * r.counts.lost() / r.counts.expected : 0.0, 3);
  sum.add("dups", r.counts.duplicates).add("reordered", r.counts.reordered);
  const auto us = [&](double p) { return r.latency.percentile(p) / 1000.0; };
  sum.add("p50_us", us(50)).add("p99_us", us(99)).add("p999_us", us(99.9));
  sum.add("max_us", r.latency.max() / 1000.0).add("samples", r.latency.count());
  sum.add("gen_cpu", (b.gen_cpu - a.gen_cpu) / secs, 2);
  sum.add("broker_cpu", o.broker_pid > 0 ? (b.broker_cpu - a.broker_cpu) / secs : -1.0, 2);
  // Runnable-but-not-running time: CPU taken by other processes on the same core.
  sum.add("gen_wait", (b.gen_wait - a.gen_wait) / secs, 2);
  sum.add("broker_wait", o.broker_pid > 0 ? (b.broker_wait - a.broker_wait) / secs : -1.0, 2);
}

}  // namespace ferry::bench
