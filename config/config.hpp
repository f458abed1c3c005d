#pragma once

// Ferry configuration: the Config struct, the TOML loader with validation, environment
// overrides and a few helpers the transports share (host:port parsing, data_dir paths).
//
// Everything here runs at start-up on the main thread; errors are exceptions
// (ConfigError) whose message names the file, the line and the key:
//   ferry.toml:7: server.threads: must be between 0 and 1024
//   environment: FERRY_SERVER_THREADS: must be an integer

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::config {

enum class LogFormat { text, json };

struct ServerConfig {
  unsigned threads = 0;  // 0 = one per core
  std::string data_dir = "data";
  std::uint16_t max_keepalive = 65535;  // seconds; longer client keep-alives are capped
  std::string log_level = "info";       // trace|debug|info|warn|error
  LogFormat log_format = LogFormat::text;
  std::uint32_t shutdown_timeout_ms = 5000;

  bool operator==(const ServerConfig&) const = default;
};

struct ListenerConfig {
  // tcp|unix now; tls|ws|wss|sctp|mqttsn are recognised but rejected as "not available yet".
  std::string transport = "tcp";
  // "host:port", "[v6]:port", or a filesystem path for unix (relative to server.data_dir,
  // see resolve_path).
  std::string bind;
  std::optional<int> send_buffer;     // bytes, SO_SNDBUF; unset = kernel default
  std::optional<int> receive_buffer;  // bytes, SO_RCVBUF; unset = kernel default
  bool nodelay = true;                // TCP_NODELAY
  bool keepalive = false;             // SO_KEEPALIVE
  bool reuseport = true;              // SO_REUSEPORT (one acceptor per shard)
  int backlog = 1024;
  std::uint32_t max_connections = 0;  // 0 = only limits.max_connections applies
  std::string unix_mode;              // octal permissions like "0660"; empty = default
  // mqttsn only:
  int gateway_id = 1;                        // GwId in ADVERTISE/GWINFO, 0..255
  std::string broadcast;                     // host:port for ADVERTISE; empty = discovery off
  std::uint32_t advertise_interval_s = 900;  // seconds between ADVERTISEs
  // Addresses QoS -1 senders and forwarders may use ("10.0.0.0/8, fd00::/8"); empty = any.
  std::string allow;

  bool operator==(const ListenerConfig&) const = default;
};

struct LimitsConfig {
  std::uint32_t max_packet_size = 268435460;  // largest MQTT packet: 5-byte header + 256 MiB
  std::uint16_t receive_maximum = 65535;      // inbound QoS>0 PUBLISHes in flight per client
  std::uint32_t max_queued_messages = 1000;   // per offline/slow session
  std::uint64_t max_queued_bytes = 64ull << 20;
  std::uint32_t max_connections = 100000;  // whole broker
  std::uint16_t topic_alias_maximum = 64;
  std::uint32_t max_inflight_messages = 1024;     // outbound QoS>0 in flight per session
  std::uint32_t max_session_expiry = 0xFFFFFFFF;  // seconds; 0xFFFFFFFF = never expires
  std::uint32_t connect_timeout_ms = 10000;       // socket open -> CONNECT received

  bool operator==(const LimitsConfig&) const = default;
};

struct StorageConfig {
  std::string backend = "sqlite";        // sqlite | memory
  std::string sync = "ack";              // ack | periodic | off (sqlite only)
  std::uint32_t sync_interval_ms = 100;  // periodic: longest time between commits

  bool operator==(const StorageConfig&) const = default;
};

struct PredefinedTopic {
  std::uint16_t id = 0;
  std::string topic;
  std::string client;  // empty = every client
  bool operator==(const PredefinedTopic&) const = default;
};

struct MqttSnConfig {
  std::uint32_t retry_ms = 10000;  // Tretry: wait for an ack before resending [MQTT-SN 6.13]
  std::uint32_t max_retries = 3;   // Nretry: resends before the client is considered lost
  std::uint32_t max_queued_messages = 100;  // per client, behind the window or while asleep
  std::vector<PredefinedTopic> predefined;
  bool operator==(const MqttSnConfig&) const = default;
};

// Standalone gateway mode [issue 5]: MQTT-SN clients are served for another broker.
struct GatewayConfig {
  std::string upstream;                     // "mqtt://host:port"; empty = integrated gateway only
  std::string mode = "aggregating";         // aggregating | transparent
  std::string protocol = "5";               // upstream MQTT version: 5 | 3.1.1
  std::string client_id = "ferry-gateway";  // aggregating: the one upstream client id
  std::string username;                     // empty = none
  std::string password;
  std::uint32_t keep_alive_s = 60;             // upstream PINGREQ interval
  std::uint32_t session_expiry_s = 3600;       // aggregating: upstream keeps our session
  std::uint32_t reconnect_min_ms = 500;        // backoff doubles from here...
  std::uint32_t reconnect_max_ms = 30000;      // ...up to here
  std::uint32_t max_buffered_messages = 1000;  // QoS >= 1 held while upstream is away
  bool operator==(const GatewayConfig&) const = default;
};

struct AuthConfig {
  bool allow_anonymous = true;

  bool operator==(const AuthConfig&) const = default;
};

struct Config {
  ServerConfig server;
  std::vector<ListenerConfig> listeners;
  LimitsConfig limits;
  StorageConfig storage;
  MqttSnConfig mqttsn;
  GatewayConfig gateway;
  AuthConfig auth;
  std::string source;  // file path loaded (or "defaults"), for messages
};

// Thrown by the loaders; what() is "file:line: key: problem" (or
// "environment: FERRY_X: problem" for an environment override).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Endpoint {
  std::string host;  // without brackets: "0.0.0.0", "::1", "localhost"
  std::uint16_t port = 0;

  bool operator==(const Endpoint&) const = default;
};

// Parses "0.0.0.0:1883", "[::]:1883", "[::1]:1883", "localhost:1883". Port 0..65535
// (0 = ephemeral). An IPv6 address must be in brackets. nullopt if malformed.
std::optional<Endpoint> parse_host_port(std::string_view text);

// Parses "mqtt://host[:port]" (port 1883 when absent; IPv6 hosts in brackets).
// nullopt if malformed.
std::optional<Endpoint> parse_mqtt_url(std::string_view text);

// A path from the config: absolute paths are returned as is, relative ones are placed
// under server.data_dir.
std::string resolve_path(const Config& config, std::string_view path);

// Parses an octal permission string such as "0660" or "660" (<= 0777); nullopt if bad.
std::optional<unsigned> parse_unix_mode(std::string_view text);

std::string_view to_string(LogFormat format);

// The built-in configuration: all defaults, a TCP listener on 0.0.0.0:1883 and a Unix
// listener at "ferry.sock" (in data_dir). Same values as config/ferry.toml.
Config default_config();

// Loads and validates a TOML file, then applies FERRY_<SECTION>_<KEY> overrides from env.
// Throws ConfigError.
Config load_config(const std::filesystem::path& file,
                   const std::map<std::string, std::string>& env);

// Same for TOML text; source_name is used in messages and stored in Config::source.
Config load_config_string(std::string_view toml_text, std::string_view source_name,
                          const std::map<std::string, std::string>& env);

// Every FERRY_* variable of the real process environment, for load_config's env.
std::map<std::string, std::string> environment_overrides();

}  // namespace ferry::config
