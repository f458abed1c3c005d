// Loading valid configuration: defaults, a full file, the shipped config/ferry.toml.

#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "config/config.hpp"

using namespace ferry::config;

namespace {

const std::map<std::string, std::string> kNoEnv;

// FERRY_SOURCE_DIR rather than __FILE__: ccache with CCACHE_BASEDIR makes __FILE__
// relative to the build directory, and CTest runs the test from another one.
std::filesystem::path shipped_file() {
  return std::filesystem::path(FERRY_SOURCE_DIR) / "config/ferry.toml";
}

}  // namespace

TEST_CASE("default_config has documented defaults and two listeners", "[config]") {
  const Config config = default_config();
  CHECK(config.server.threads == 0);
  CHECK(config.server.data_dir == "data");
  CHECK(config.server.max_keepalive == 65535);
  CHECK(config.server.log_level == "info");
  CHECK(config.server.log_format == LogFormat::text);
  CHECK(config.server.shutdown_timeout_ms == 5000);
  CHECK(config.limits.max_packet_size == 268435460u);
  CHECK(config.limits.receive_maximum == 65535);
  CHECK(config.limits.max_queued_messages == 1000u);
  CHECK(config.limits.max_queued_bytes == (64ull << 20));
  CHECK(config.limits.max_connections == 100000u);
  CHECK(config.limits.topic_alias_maximum == 64);
  CHECK(config.limits.max_inflight_messages == 1024u);
  CHECK(config.limits.max_session_expiry == 0xFFFFFFFFu);
  CHECK(config.limits.connect_timeout_ms == 10000u);
  CHECK(config.storage.backend == "sqlite");
  CHECK(config.storage.sync == "ack");
  CHECK(config.auth.allow_anonymous);
  REQUIRE(config.listeners.size() == 2);
  CHECK(config.listeners[0].transport == "tcp");
  CHECK(config.listeners[0].bind == "0.0.0.0:1883");
  CHECK(config.listeners[0].nodelay);
  CHECK_FALSE(config.listeners[0].keepalive);
  CHECK(config.listeners[0].reuseport);
  CHECK(config.listeners[0].backlog == 1024);
  CHECK_FALSE(config.listeners[0].send_buffer.has_value());
  CHECK(config.listeners[1].transport == "unix");
  CHECK(config.listeners[1].bind == "ferry.sock");
  CHECK(resolve_path(config, config.listeners[1].bind) == "data/ferry.sock");
}

TEST_CASE("a minimal file keeps every default except what it sets", "[config]") {
  const Config config =
      load_config_string("[[listener]]\nbind = \"127.0.0.1:0\"\n", "mini.toml", kNoEnv);
  const Config defaults = default_config();
  CHECK(config.server == defaults.server);
  CHECK(config.limits == defaults.limits);
  CHECK(config.storage == defaults.storage);
  CHECK(config.auth == defaults.auth);
  CHECK(config.source == "mini.toml");
  REQUIRE(config.listeners.size() == 1);
  CHECK(config.listeners[0].transport == "tcp");
  CHECK(config.listeners[0].bind == "127.0.0.1:0");
}

TEST_CASE("a full file sets every key", "[config]") {
  const char* text = R"(
[server]
threads = 4
data_dir = "/var/lib/ferry"
max_keepalive = 600
log_level = "debug"
log_format = "json"
shutdown_timeout_ms = 250

[[listener]]
transport = "tcp"
bind = "[::]:8883"
send_buffer = 65536
receive_buffer = 131072
nodelay = false
keepalive = true
reuseport = false
backlog = 16
max_connections = 10

[[listener]]
transport = "unix"
bind = "run/ferry.sock"
unix_mode = "0660"

[limits]
max_packet_size = 1048576
receive_maximum = 100
max_queued_messages = 5
max_queued_bytes = 4096
max_connections = 50
topic_alias_maximum = 0
max_inflight_messages = 20
max_session_expiry = 3600
connect_timeout_ms = 500

[storage]
backend = "memory"

[auth]
allow_anonymous = false
)";
  const Config config = load_config_string(text, "full.toml", kNoEnv);
  CHECK(config.server.threads == 4);
  CHECK(config.server.data_dir == "/var/lib/ferry");
  CHECK(config.server.max_keepalive == 600);
  CHECK(config.server.log_level == "debug");
  CHECK(config.server.log_format == LogFormat::json);
  CHECK(config.server.shutdown_timeout_ms == 250);
  REQUIRE(config.listeners.size() == 2);
  const ListenerConfig& tcp = config.listeners[0];
  CHECK(tcp.bind == "[::]:8883");
  CHECK(tcp.send_buffer == 65536);
  CHECK(tcp.receive_buffer == 131072);
  CHECK_FALSE(tcp.nodelay);
  CHECK(tcp.keepalive);
  CHECK_FALSE(tcp.reuseport);
  CHECK(tcp.backlog == 16);
  CHECK(tcp.max_connections == 10);
  const ListenerConfig& unix_socket = config.listeners[1];
  CHECK(unix_socket.transport == "unix");
  CHECK(unix_socket.unix_mode == "0660");
  CHECK(resolve_path(config, unix_socket.bind) == "/var/lib/ferry/run/ferry.sock");
  CHECK(config.limits.max_packet_size == 1048576);
  CHECK(config.limits.receive_maximum == 100);
  CHECK(config.limits.max_queued_messages == 5);
  CHECK(config.limits.max_queued_bytes == 4096);
  CHECK(config.limits.max_connections == 50);
  CHECK(config.limits.topic_alias_maximum == 0);
  CHECK(config.limits.max_inflight_messages == 20);
  CHECK(config.limits.max_session_expiry == 3600);
  CHECK(config.limits.connect_timeout_ms == 500);
  CHECK_FALSE(config.auth.allow_anonymous);
}

TEST_CASE("the shipped config/ferry.toml loads and equals the built-in defaults", "[config]") {
  const auto path = shipped_file();
  REQUIRE(std::filesystem::exists(path));
  const Config config = load_config(path, kNoEnv);
  const Config defaults = default_config();
  CHECK(config.server == defaults.server);
  CHECK(config.limits == defaults.limits);
  CHECK(config.storage == defaults.storage);
  CHECK(config.auth == defaults.auth);
  CHECK(config.listeners == defaults.listeners);
  CHECK(config.source == path.string());
}

TEST_CASE("load_config reads a file and names it in messages", "[config]") {
  const auto path = std::filesystem::temp_directory_path() / "ferry_config_test_bad.toml";
  {
    std::ofstream out(path);
    out << "[server]\nthreads = 2000\n";
  }
  try {
    (void)load_config(path, kNoEnv);
    FAIL("expected ConfigError");
  } catch (const ConfigError& error) {
    CHECK(std::string(error.what()) ==
          path.string() + ":2: server.threads: must be between 0 and 1024");
  }
  std::filesystem::remove(path);
}

TEST_CASE("load_config on a missing file throws ConfigError naming it", "[config]") {
  const auto path = std::filesystem::temp_directory_path() / "ferry_config_test_missing.toml";
  std::filesystem::remove(path);
  try {
    (void)load_config(path, kNoEnv);
    FAIL("expected ConfigError");
  } catch (const ConfigError& error) {
    CHECK(std::string(error.what()).starts_with(path.string() + ": cannot open"));
  }
}

TEST_CASE("resolve_path keeps absolute paths and places relative ones in data_dir", "[config]") {
  Config config = default_config();
  config.server.data_dir = "/srv/ferry";
  CHECK(resolve_path(config, "/tmp/x.sock") == "/tmp/x.sock");
  CHECK(resolve_path(config, "x.sock") == "/srv/ferry/x.sock");
  CHECK(resolve_path(config, "./sub/../x.sock") == "/srv/ferry/x.sock");
}

TEST_CASE("parse_unix_mode accepts octal permission strings", "[config]") {
  CHECK(parse_unix_mode("0660") == 0660u);
  CHECK(parse_unix_mode("600") == 0600u);
  CHECK(parse_unix_mode("0777") == 0777u);
  CHECK_FALSE(parse_unix_mode("0680").has_value());
  CHECK_FALSE(parse_unix_mode("1777").has_value());
  CHECK_FALSE(parse_unix_mode("66").has_value());
  CHECK_FALSE(parse_unix_mode("rw-").has_value());
}
