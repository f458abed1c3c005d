// FERRY_<SECTION>_<KEY> environment overrides.

#include <cstdlib>
#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "config/config.hpp"

using namespace ferry::config;

namespace {

using Env = std::map<std::string, std::string>;

constexpr const char* kFile =
    "[server]\nthreads = 4\n[limits]\nmax_packet_size = 5000\n"
    "[[listener]]\nbind = \"0.0.0.0:1883\"\n";

std::string env_error(const Env& env) {
  try {
    (void)load_config_string(kFile, "ferry.toml", env);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("environment overrides win over the file", "[config][env]") {
  const Env env = {
      {"FERRY_SERVER_THREADS", "2"},           {"FERRY_LIMITS_MAX_PACKET_SIZE", "1000"},
      {"FERRY_AUTH_ALLOW_ANONYMOUS", "false"}, {"FERRY_STORAGE_BACKEND", "memory"},
      {"FERRY_SERVER_LOG_FORMAT", "json"},     {"FERRY_LIMITS_MAX_QUEUED_BYTES", "123456789012"},
  };
  const Config config = load_config_string(kFile, "ferry.toml", env);
  CHECK(config.server.threads == 2);
  CHECK(config.limits.max_packet_size == 1000);
  CHECK_FALSE(config.auth.allow_anonymous);
  CHECK(config.storage.backend == "memory");
  CHECK(config.server.log_format == LogFormat::json);
  CHECK(config.limits.max_queued_bytes == 123456789012ull);
}

TEST_CASE("without overrides the file values stay", "[config][env]") {
  const Config config = load_config_string(kFile, "ferry.toml", {});
  CHECK(config.server.threads == 4);
  CHECK(config.limits.max_packet_size == 5000);
  CHECK(config.auth.allow_anonymous);
}

TEST_CASE("booleans from the environment are case-insensitive true/false", "[config][env]") {
  CHECK_FALSE(load_config_string(kFile, "f", {{"FERRY_AUTH_ALLOW_ANONYMOUS", "FALSE"}})
                  .auth.allow_anonymous);
  CHECK(load_config_string(kFile, "f", {{"FERRY_AUTH_ALLOW_ANONYMOUS", "True"}})
            .auth.allow_anonymous);
}

TEST_CASE("the data_dir override moves relative unix sockets", "[config][env]") {
  const Config config =
      load_config_string("[[listener]]\ntransport = \"unix\"\nbind = \"ferry.sock\"\n", "f",
                         {{"FERRY_SERVER_DATA_DIR", "/run/ferry"}});
  CHECK(resolve_path(config, config.listeners[0].bind) == "/run/ferry/ferry.sock");
}

TEST_CASE("environment values are checked by type and range", "[config][env]") {
  CHECK(env_error({{"FERRY_SERVER_THREADS", "two"}}) ==
        "environment: FERRY_SERVER_THREADS: must be an integer");
  CHECK(env_error({{"FERRY_SERVER_THREADS", ""}}) ==
        "environment: FERRY_SERVER_THREADS: must be an integer");
  CHECK(env_error({{"FERRY_SERVER_THREADS", "2 "}}) ==
        "environment: FERRY_SERVER_THREADS: must be an integer");
  CHECK(env_error({{"FERRY_SERVER_THREADS", "5000"}}) ==
        "environment: FERRY_SERVER_THREADS: must be between 0 and 1024");
  CHECK(env_error({{"FERRY_AUTH_ALLOW_ANONYMOUS", "yes"}}) ==
        "environment: FERRY_AUTH_ALLOW_ANONYMOUS: must be true or false");
  CHECK(env_error({{"FERRY_SERVER_LOG_LEVEL", "loud"}}) ==
        "environment: FERRY_SERVER_LOG_LEVEL: must be one of 'trace', 'debug', 'info', 'warn', "
        "'error' (got 'loud')");
  CHECK(env_error({{"FERRY_STORAGE_BACKEND", "redis"}}) ==
        "environment: FERRY_STORAGE_BACKEND: must be one of 'memory', 'sqlite' (got 'redis')");
}

TEST_CASE("unknown variables of a known section are errors with a suggestion", "[config][env]") {
  CHECK(env_error({{"FERRY_SERVER_THREAD", "2"}}) ==
        "environment: FERRY_SERVER_THREAD: unknown variable (did you mean "
        "'FERRY_SERVER_THREADS'?)");
  CHECK(env_error({{"FERRY_LIMITS_COLOUR", "2"}}) ==
        "environment: FERRY_LIMITS_COLOUR: unknown variable");
  CHECK(env_error({{"FERRY_AUTH_", "x"}}) == "environment: FERRY_AUTH_: unknown variable");
}

TEST_CASE("other FERRY_ variables and other names are ignored", "[config][env]") {
  CHECK(env_error({{"FERRY_CONFIG", "/etc/ferry.toml"},
                   {"FERRY_LISTENER_BIND", "x"},
                   {"FERRY_SERVERTHREADS", "x"},
                   {"HOME", "/root"},
                   {"ferry_server_threads", "x"}}) == "no error");
}

TEST_CASE("environment_overrides collects FERRY_* from the process", "[config][env]") {
  ::setenv("FERRY_UNIT_TEST_MARKER", "a=b", 1);
  ::setenv("NOT_FERRY_UNIT_TEST", "x", 1);
  const auto env = environment_overrides();
  ::unsetenv("FERRY_UNIT_TEST_MARKER");
  ::unsetenv("NOT_FERRY_UNIT_TEST");
  REQUIRE(env.count("FERRY_UNIT_TEST_MARKER") == 1);
  CHECK(env.at("FERRY_UNIT_TEST_MARKER") == "a=b");
  CHECK(env.count("NOT_FERRY_UNIT_TEST") == 0);
  for (const auto& [name, value] : env) {
    CHECK(name.starts_with("FERRY_"));
  }
}
