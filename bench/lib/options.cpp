#include "bench/lib/options.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "bench/lib/payload.hpp"

namespace ferry::bench {

void add_options(CLI::App& app, Options& o) {
  app.add_option("scenario", o.scenario,
                 "fanin | fanout | mesh | latency | connect | retained | snfanout | snfanin")
      ->required()
      ->check(CLI::IsMember(
          {"fanin", "fanout", "mesh", "latency", "connect", "retained", "snfanout", "snfanin"}));
  app.add_option("--broker", o.broker, "Label for the summary line");
  app.add_option("--host", o.host, "Broker address (TCP)");
  app.add_option("--port", o.port, "Broker port (TCP)");
  app.add_option("--unix", o.unix_path, "Connect over this Unix-domain socket instead of TCP");
  app.add_option("--mqtt", o.mqtt, "Protocol version")->check(CLI::IsMember({"3.1.1", "5"}));
  app.add_option("-q,--qos", o.qos, "QoS of publishes and subscriptions")->check(CLI::Range(0, 2));
  app.add_option("-s,--payload", o.payload, "Payload bytes")->check(CLI::Range(0, 16 << 20));
  app.add_option("-p,--publishers", o.publishers, "Publishers")->check(CLI::Range(1, 65535));
  app.add_option("-n,--subscribers", o.subscribers, "Subscribers")->check(CLI::Range(1, 100000));
  app.add_option("--groups", o.groups, "mesh: topic groups")->check(CLI::Range(1, 65535));
  app.add_option("-r,--rate", o.rate, "Total publishes/s (0 = flat out)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("-d,--duration", o.duration, "Measured seconds")->check(CLI::PositiveNumber);
  app.add_option("-w,--warmup", o.warmup, "Warm-up seconds")->check(CLI::NonNegativeNumber);
  app.add_option("--drain", o.drain, "Longest wait for last deliveries (s)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--window", o.window, "In-flight publishes per publisher")
      ->check(CLI::Range(1, 65535));
  app.add_option("-t,--threads", o.threads, "Generator threads")->check(CLI::Range(1, 64));
  app.add_option("-c,--connections", o.connections, "connect: connections")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--concurrency", o.concurrency, "Connection attempts in flight")
      ->check(CLI::Range(1, 100000));
  app.add_option("--broker-pid", o.broker_pid, "Broker PID for RSS/CPU from /proc");
  app.add_option("--hold", o.hold, "connect: idle seconds before reading RSS")
      ->check(CLI::NonNegativeNumber);
  app.add_option("-k,--keepalive", o.keepalive, "Keep-alive seconds")->check(CLI::Range(0, 65535));
  app.add_flag("--persistent", o.persistent, "Clients keep sessions (clean session 0 / expiry)");
  app.add_option("--retained", o.retained, "retained: topics")->check(CLI::Range(1, 10000000));
  app.add_flag("--keep-retained", o.keep_retained, "retained: leave them stored afterwards");
  app.add_option("--prefix", o.prefix, "Topic prefix");
  app.add_flag("--quiet", o.quiet, "Only the summary line");
  app.add_option("--sn-port", o.sn_port, "snfanout/snfanin: MQTT-SN gateway UDP port (--host)");
  app.add_option("--sn-window", o.sn_window, "snfanin: SN publishes in flight in all")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--sn-rcvbuf", o.sn_rcvbuf, "SO_RCVBUF of each SN client socket (0 = default)")
      ->check(CLI::Range(0, 1 << 30));
}

std::string validate(const Options& o) {
  const bool sn = o.scenario == "snfanout" || o.scenario == "snfanin";
  const bool pubsub = o.scenario == "fanin" || o.scenario == "fanout" || o.scenario == "mesh" ||
                      o.scenario == "latency" || sn;
  if (pubsub && o.payload < payload_header_size) {
    return "--payload must be at least " + std::to_string(payload_header_size) +
           " bytes (publisher id, sequence number and timestamp)";
  }
  if (o.scenario == "latency" && o.rate <= 0) {
    return "latency needs a fixed --rate";
  }
  if (o.scenario == "fanout" && o.publishers != 1) {
    return "fanout has exactly one publisher (use mesh for several)";
  }
  if (o.scenario == "fanin" && o.subscribers != 1) {
    return "fanin has exactly one subscriber (use mesh for several)";
  }
  if (o.scenario == "snfanout" && (o.publishers != 1 || o.qos > 1)) {
    return "snfanout has one (MQTT) publisher and QoS 0 or 1 (-n sets the MQTT-SN subscribers)";
  }
  if (o.scenario == "snfanin" && (o.subscribers != 1 || o.qos != 0)) {
    return "snfanin has one (MQTT) subscriber and QoS 0 (-p sets the MQTT-SN publishers)";
  }
  if (sn && !o.unix_path.empty()) {
    return "MQTT-SN scenarios run over UDP and TCP, not --unix";
  }
  if (o.prefix.empty() || o.prefix.find_first_of("+#") != std::string::npos) {
    return "--prefix must be a non-empty topic level without wildcards";
  }
  return "";
}

int parse_options(int argc, const char* const* argv, Options& options) {
  CLI::App app{"ferry-bench: MQTT load generator"};
  add_options(app, options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? -1 : code;
  }
  if (auto why = validate(options); !why.empty()) {
    std::cerr << "ferry-bench: " << why << "\n";
    return 2;
  }
  return 0;
}

}  // namespace ferry::bench
