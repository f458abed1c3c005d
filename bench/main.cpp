// ferry-bench: MQTT load generator. See bench/README.md.
#include <sys/resource.h>

#include <exception>
#include <iostream>

#include "bench/lib/options.hpp"
#include "bench/scenarios/scenarios.hpp"

namespace {

/// Lifts the open-file soft limit to the hard limit: thousands of sockets per run.
void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

int main(int argc, char** argv) {
  ferry::bench::Options options;
  if (int code = ferry::bench::parse_options(argc, argv, options); code != 0) {
    return code < 0 ? 0 : code;
  }
  raise_fd_limit();
  try {
    if (options.scenario == "connect") {
      return ferry::bench::run_connect(options);
    }
    if (options.scenario == "snfanout" || options.scenario == "snfanin") {
      return ferry::bench::run_sn(options);
    }
    if (options.scenario == "retained") {
      return ferry::bench::run_retained(options);
    }
    return ferry::bench::run_pubsub(options);
  } catch (const std::exception& e) {
    std::cerr << "ferry-bench: " << e.what() << "\n";
    return 2;
  }
}
