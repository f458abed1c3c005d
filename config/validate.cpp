// Checks that span more than one key: each listener's bind against its transport,
// duplicate binds, at least one listener. Runs after the environment overrides, since
// server.data_dir decides where relative unix socket paths land.

#include <map>

#include <fmt/format.h>

#include "config/config.hpp"
#include "config/fields.hpp"

namespace ferry::config::detail {
namespace {

// sockaddr_un::sun_path is 108 bytes on Linux, including the terminating NUL.
constexpr std::size_t kMaxUnixPath = 107;

class ListenerChecker {
 public:
  ListenerChecker(const Config& config, const std::vector<ListenerOrigin>& origins)
      : config_(config), origins_(origins) {}

  void check(std::size_t index) {
    const ListenerConfig& listener = config_.listeners[index];
    const ListenerOrigin origin = index < origins_.size() ? origins_[index] : ListenerOrigin{};
    const std::string prefix = fmt::format("listener[{}]", index);
    const int bind_line = origin.bind_line != 0 ? origin.bind_line : origin.table_line;
    if (listener.bind.empty()) {
      fail(origin.table_line, prefix + ".bind",
           "is required (e.g. bind = \"0.0.0.0:1883\", or a path for unix)");
    }
    if (!listener.unix_mode.empty() && listener.transport != "unix") {
      fail(origin.unix_mode_line, prefix + ".unix_mode", "only applies to unix listeners");
    }
    const std::string identity = bind_identity(listener, bind_line, prefix);
    if (identity.empty()) {
      return;  // ephemeral port: never a duplicate
    }
    const auto [it, inserted] = seen_.emplace(identity, index);
    if (!inserted) {
      fail(bind_line, prefix + ".bind",
           fmt::format("duplicate bind '{}' (already used by listener[{}])", listener.bind,
                       it->second));
    }
  }

 private:
  [[noreturn]] void fail(int line, std::string_view key, std::string_view problem) const {
    throw ConfigError(fmt::format("{}:{}: {}: {}", config_.source, line, key, problem));
  }

  // What the listener occupies, for duplicate detection; empty for port 0.
  std::string bind_identity(const ListenerConfig& listener, int line,
                            const std::string& prefix) const {
    if (listener.transport == "unix") {
      const std::string path = resolve_path(config_, listener.bind);
      if (path.size() > kMaxUnixPath) {
        fail(line, prefix + ".bind",
             fmt::format("unix socket path '{}' is too long ({} bytes, at most {})", path,
                         path.size(), kMaxUnixPath));
      }
      return "unix:" + path;
    }
    const auto endpoint = parse_host_port(listener.bind);
    if (!endpoint) {
      fail(line, prefix + ".bind",
           fmt::format("invalid address '{}' (expected host:port)", listener.bind));
    }
    if (endpoint->port == 0) {
      return {};
    }
    // TCP and UDP (MQTT-SN) ports are separate spaces.
    const char* space = listener.transport == "mqttsn" ? "udp" : "tcp";
    return fmt::format("{}:[{}]:{}", space, endpoint->host, endpoint->port);
  }

  const Config& config_;
  const std::vector<ListenerOrigin>& origins_;
  std::map<std::string, std::size_t> seen_;
};

}  // namespace

void validate_listeners(const Config& config, const std::vector<ListenerOrigin>& origins) {
  if (config.listeners.empty()) {
    throw ConfigError(
        fmt::format("{}:1: listener: at least one [[listener]] is required", config.source));
  }
  ListenerChecker checker(config, origins);
  for (std::size_t index = 0; index < config.listeners.size(); ++index) {
    checker.check(index);
  }
}

}  // namespace ferry::config::detail
