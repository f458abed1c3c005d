// ferry-bench command line: one Options struct for every scenario, parsed with CLI11.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace ferry::bench {

struct Options {
  std::string scenario;          // fanin fanout mesh latency connect retained snfanout snfanin
  std::string broker = "ferry";  // label printed in the summary line
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  std::string unix_path;       // non-empty: connect over this Unix socket instead
  std::string mqtt = "3.1.1";  // "3.1.1" or "5"
  int qos = 0;
  std::size_t payload = 16;  // bytes; at least payload_header_size for pub/sub
  int publishers = 1;
  int subscribers = 1;
  int groups = 4;                // mesh: topic groups
  double rate = 0;               // total publishes/s; 0 = flat out
  double duration = 5;           // measured seconds
  double warmup = 1;             // seconds before measuring
  double drain = 10;             // longest wait for the last deliveries and acks
  int window = 64;               // in-flight publishes per publisher
  int threads = 1;               // generator threads (one io_context each)
  int connections = 1000;        // connect scenario
  int concurrency = 64;          // connection attempts in flight at once
  int broker_pid = 0;            // read RSS / CPU from /proc/PID
  double hold = 2;               // connect: seconds to hold idle before reading RSS
  int keepalive = 60;            // seconds
  bool persistent = false;       // clients keep sessions (stored with sqlite)
  int retained = 1000;           // retained scenario: topics
  bool keep_retained = false;    // retained scenario: leave them on the broker
  std::string prefix = "bench";  // topic prefix
  std::uint16_t sn_port = 1884;  // snfanout / snfanin: the MQTT-SN gateway's UDP port
  int sn_window = 128;           // snfanin: SN publishes in flight (not yet received) in all
  int sn_rcvbuf = 0;             // SO_RCVBUF of each SN client socket; 0 = kernel default
  bool quiet = false;
};

/// Registers every option on `app` (the scenario is the first positional argument).
void add_options(CLI::App& app, Options& options);

/// Cross-field checks CLI11 cannot express. Empty string = valid.
std::string validate(const Options& options);

/// Fills `options` from argv. Returns 0 to go on, or the exit code to leave with (help
/// printed, or a parse/validation error written to stderr).
int parse_options(int argc, const char* const* argv, Options& options);

}  // namespace ferry::bench
