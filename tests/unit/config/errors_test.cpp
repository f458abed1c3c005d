// Every class of configuration error, with the exact "file:line: key: problem" message.

#include <string>

#include <catch2/catch.hpp>

#include "config/config.hpp"

using namespace ferry::config;

namespace {

constexpr const char* kListener = "[[listener]]\nbind = \"0.0.0.0:1883\"\n";

// The message load_config_string throws for text, or "no error".
std::string error_of(const std::string& text) {
  try {
    (void)load_config_string(text, "ferry.toml", {});
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("ConfigError is a std::runtime_error", "[config][errors]") {
  CHECK_THROWS_AS(load_config_string("[[listener]]\n", "x.toml", {}), std::runtime_error);
}

TEST_CASE("unknown keys name the line and suggest the closest key", "[config][errors]") {
  CHECK(error_of("[server]\nlog_level = \"info\"\nthread = 2\n") ==
        "ferry.toml:3: server.thread: unknown key (did you mean 'threads'?)");
  CHECK(error_of("[limits]\nmax_packet_sise = 10\n") ==
        "ferry.toml:2: limits.max_packet_sise: unknown key (did you mean 'max_packet_size'?)");
  CHECK(error_of("[server]\ncolour = 1\n") == "ferry.toml:2: server.colour: unknown key");
  CHECK(error_of(std::string(kListener) + "bnd = \"x\"\n") ==
        "ferry.toml:3: listener[0].bnd: unknown key (did you mean 'bind'?)");
}

TEST_CASE("the first unknown key in file order is reported", "[config][errors]") {
  // toml::table is sorted by key; "zzz" sorts last but comes first in the file.
  CHECK(error_of("[server]\nzzz = 1\naaa = 2\n") == "ferry.toml:2: server.zzz: unknown key");
}

TEST_CASE("unknown sections are errors with a suggestion", "[config][errors]") {
  CHECK(error_of("[servr]\nthreads = 1\n") ==
        "ferry.toml:1: servr: unknown section (did you mean 'server'?)");
  CHECK(error_of(std::string(kListener) + "[[listeners]]\nbind = \"x:1\"\n") ==
        "ferry.toml:3: listeners: unknown section (did you mean 'listener'?)");
  CHECK(error_of("[mqtt]\n") == "ferry.toml:1: mqtt: unknown section (did you mean 'mqttsn'?)");
  CHECK(error_of("[metrics]\n") == "ferry.toml:1: metrics: unknown section");
}

TEST_CASE("section shapes are checked", "[config][errors]") {
  CHECK(error_of("server = 1\n") == "ferry.toml:1: server: must be a table ([server])");
  CHECK(error_of("[listener]\nbind = \"0.0.0.0:1\"\n") ==
        "ferry.toml:1: listener: must be an array of tables (write [[listener]])");
}

TEST_CASE("wrong value types are errors", "[config][errors]") {
  CHECK(error_of("[server]\nthreads = \"2\"\n") ==
        "ferry.toml:2: server.threads: must be an integer");
  CHECK(error_of("[server]\nthreads = 2.5\n") ==
        "ferry.toml:2: server.threads: must be an integer");
  CHECK(error_of("[auth]\nallow_anonymous = \"yes\"\n") ==
        "ferry.toml:2: auth.allow_anonymous: must be true or false");
  CHECK(error_of("[server]\n\ndata_dir = 5\n") ==
        "ferry.toml:3: server.data_dir: must be a string");
  CHECK(error_of(std::string(kListener) + "nodelay = 1\n") ==
        "ferry.toml:3: listener[0].nodelay: must be true or false");
}

TEST_CASE("out-of-range values are errors", "[config][errors]") {
  CHECK(error_of("[server]\nthreads = 2000\n") ==
        "ferry.toml:2: server.threads: must be between 0 and 1024");
  CHECK(error_of("[server]\nthreads = -1\n") ==
        "ferry.toml:2: server.threads: must be between 0 and 1024");
  CHECK(error_of("[limits]\nreceive_maximum = 0\n") ==
        "ferry.toml:2: limits.receive_maximum: must be between 1 and 65535");
  CHECK(error_of("[limits]\nmax_packet_size = 268435461\n") ==
        "ferry.toml:2: limits.max_packet_size: must be between 64 and 268435460");
  CHECK(error_of("[limits]\nmax_session_expiry = 4294967296\n") ==
        "ferry.toml:2: limits.max_session_expiry: must be between 0 and 4294967295");
  CHECK(error_of(std::string(kListener) + "backlog = 0\n") ==
        "ferry.toml:3: listener[0].backlog: must be between 1 and 1000000");
  CHECK(error_of(std::string(kListener) + "send_buffer = 0\n") ==
        "ferry.toml:3: listener[0].send_buffer: must be between 1 and 2147483647");
  CHECK(error_of("[server]\ndata_dir = \"\"\n") ==
        "ferry.toml:2: server.data_dir: must not be empty");
}

TEST_CASE("enumerations list the allowed values", "[config][errors]") {
  CHECK(error_of("[server]\nlog_level = \"verbose\"\n") ==
        "ferry.toml:2: server.log_level: must be one of 'trace', 'debug', 'info', 'warn', "
        "'error' (got 'verbose')");
  CHECK(error_of("[server]\nlog_format = \"xml\"\n") ==
        "ferry.toml:2: server.log_format: must be one of 'text', 'json' (got 'xml')");
  CHECK(error_of("[[listener]]\ntransport = \"quic\"\n") ==
        "ferry.toml:2: listener[0].transport: must be one of 'tcp', 'unix', 'mqttsn' (got 'quic')");
  CHECK(error_of("[storage]\nbackend = \"redis\"\n") ==
        "ferry.toml:2: storage.backend: must be one of 'memory', 'sqlite' (got 'redis')");
}

TEST_CASE("planned transports and backends are not available yet", "[config][errors]") {
  CHECK(error_of("[[listener]]\ntransport = \"tls\"\nbind = \"0.0.0.0:8883\"\n") ==
        "ferry.toml:2: listener[0].transport: transport 'tls' is not available yet in this "
        "build (available: 'tcp', 'unix', 'mqttsn')");
  CHECK(error_of(std::string(kListener) + "[storage]\nsync = \"never\"\n") ==
        "ferry.toml:4: storage.sync: must be one of 'ack', 'periodic', 'off' (got 'never')");
}

TEST_CASE("listener binds are validated", "[config][errors]") {
  CHECK(error_of("[server]\n[[listener]]\nbind = \"0.0.0.0:1883\"\n[[listener]]\n"
                 "transport = \"tcp\"\nbind = \"1.2.3:x\"\n") ==
        "ferry.toml:6: listener[1].bind: invalid address '1.2.3:x' (expected host:port)");
  CHECK(error_of("[[listener]]\ntransport = \"tcp\"\n") ==
        "ferry.toml:1: listener[0].bind: is required (e.g. bind = \"0.0.0.0:1883\", or a path "
        "for unix)");
  CHECK(error_of("[[listener]]\nbind = \"\"\n") ==
        "ferry.toml:2: listener[0].bind: must not be empty");
  CHECK(error_of(std::string(kListener) + "unix_mode = \"0660\"\n") ==
        "ferry.toml:3: listener[0].unix_mode: only applies to unix listeners");
  CHECK(error_of("[[listener]]\ntransport = \"unix\"\nbind = \"s\"\nunix_mode = \"999\"\n") ==
        "ferry.toml:4: listener[0].unix_mode: invalid mode '999' (expected octal permissions "
        "like \"0660\")");
  const std::string long_path(120, 'a');
  CHECK(error_of("[[listener]]\ntransport = \"unix\"\nbind = \"/" + long_path + "\"\n") ==
        "ferry.toml:3: listener[0].bind: unix socket path '/" + long_path +
            "' is too long (121 bytes, at most 107)");
}

TEST_CASE("duplicate binds are errors, ephemeral ports are not", "[config][errors]") {
  CHECK(error_of(std::string(kListener) + kListener) ==
        "ferry.toml:4: listener[1].bind: duplicate bind '0.0.0.0:1883' (already used by "
        "listener[0])");
  // The same socket path spelled two ways.
  CHECK(error_of("[[listener]]\ntransport = \"unix\"\nbind = \"a.sock\"\n"
                 "[[listener]]\ntransport = \"unix\"\nbind = \"./a.sock\"\n") ==
        "ferry.toml:6: listener[1].bind: duplicate bind './a.sock' (already used by listener[0])");
  CHECK(error_of("[[listener]]\nbind = \"127.0.0.1:0\"\n[[listener]]\nbind = \"127.0.0.1:0\"\n") ==
        "no error");
  CHECK(
      error_of("[[listener]]\nbind = \"127.0.0.1:1883\"\n[[listener]]\nbind = \"[::1]:1883\"\n") ==
      "no error");
}

TEST_CASE("at least one listener is required", "[config][errors]") {
  CHECK(error_of("") == "ferry.toml:1: listener: at least one [[listener]] is required");
  CHECK(error_of("[server]\nthreads = 1\n") ==
        "ferry.toml:1: listener: at least one [[listener]] is required");
}

TEST_CASE("TOML syntax errors name file and line", "[config][errors]") {
  const std::string message = error_of("[server]\nthreads = = 2\n");
  CHECK(message.starts_with("ferry.toml:2: syntax error: "));
  CHECK(message.size() > std::string("ferry.toml:2: syntax error: ").size());
  CHECK(
      error_of("[server]\nthreads = 1\nthreads = 2\n").starts_with("ferry.toml:3: syntax error: "));
}

TEST_CASE("mqttsn predefined topics are validated", "[config][errors]") {
  const std::string base = std::string(kListener);
  CHECK(error_of(base + "[[mqttsn.predefined]]\nid = 0\ntopic = \"a\"\n") ==
        "ferry.toml:4: mqttsn.predefined[0].id: must be between 1 and 65534");
  CHECK(error_of(base + "[[mqttsn.predefined]]\nid = 1\ntopic = \"a/+\"\n") ==
        "ferry.toml:5: mqttsn.predefined[0].topic: invalid topic name 'a/+' (non-empty, no "
        "wildcards)");
  CHECK(error_of(base + "[[mqttsn.predefined]]\nid = 1\ntopic = \"a\"\n"
                        "[[mqttsn.predefined]]\nid = 1\ntopic = \"b\"\n") ==
        "ferry.toml:6: mqttsn.predefined[1].id: id 1 is defined twice");
  CHECK(error_of(base + "[mqttsn]\nretry_mz = 5\n") ==
        "ferry.toml:4: mqttsn.retry_mz: unknown key (did you mean 'retry_ms'?)");
}
