// Readings from /proc: a process's resident set and CPU time (the broker's, via
// --broker-pid, and the generator's own).
#pragma once

#include <cstdint>
#include <optional>

namespace ferry::bench {

/// VmRSS of `pid` in bytes, from /proc/PID/status; nullopt when unreadable.
std::optional<std::uint64_t> rss_bytes(int pid);

/// User + system CPU seconds of `pid` from /proc/PID/stat (pid 0 = this process).
std::optional<double> cpu_seconds(int pid);

/// Seconds the threads of `pid` spent runnable but waiting for a CPU (summed over
/// /proc/PID/task/*/schedstat; pid 0 = this process). High = CPU contention, not work.
std::optional<double> run_queue_wait_seconds(int pid);

}  // namespace ferry::bench
