// Scenario entry points. Each returns the process exit code: 0 measured and verified,
// 1 verification failed (loss, disorder, duplicates), 2 could not run.
#pragma once

#include "bench/lib/options.hpp"

namespace ferry::bench {

int run_pubsub(const Options& options);    // fanin, fanout, mesh, latency
int run_connect(const Options& options);   // connect
int run_retained(const Options& options);  // retained
int run_sn(const Options& options);        // snfanout, snfanin

}  // namespace ferry::bench
