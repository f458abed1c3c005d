// Defaults and the small helpers shared with the transports: host:port parsing, paths
// under data_dir, unix socket modes.

#include "config/config.hpp"

#include <algorithm>
#include <cctype>

namespace ferry::config {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Up to `max_digits` decimal digits, nothing else.
std::optional<unsigned> parse_decimal(std::string_view text, std::size_t max_digits) {
  if (text.empty() || text.size() > max_digits) {
    return std::nullopt;
  }
  unsigned value = 0;
  for (char c : text) {
    if (!is_digit(c)) {
      return std::nullopt;
    }
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  const auto value = parse_decimal(text, 5);
  if (!value || *value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(*value);
}

// Calls f(part) for each '.'-separated part; false if any call returns false.
template <class F>
bool each_label(std::string_view text, F f) {
  while (true) {
    const auto dot = text.find('.');
    if (!f(text.substr(0, dot))) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    text.remove_prefix(dot + 1);
  }
}

bool valid_ipv4(std::string_view text) {
  int parts = 0;
  const bool ok = each_label(text, [&parts](std::string_view part) {
    ++parts;
    const auto value = parse_decimal(part, 3);
    return value && *value <= 255;
  });
  return ok && parts == 4;
}

bool valid_hostname(std::string_view text) {
  if (text.empty() || text.size() > 253) {
    return false;
  }
  const bool numeric =
      std::all_of(text.begin(), text.end(), [](char c) { return is_digit(c) || c == '.'; });
  if (numeric) {
    return valid_ipv4(text);
  }
  return each_label(text, [](std::string_view label) {
    return !label.empty() && label.size() <= 63 && label.front() != '-' &&
           std::all_of(label.begin(), label.end(), [](char c) {
             return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
           });
  });
}

// Contents of [...]: hex digits, ':' and '.' (embedded IPv4), optional %zone.
bool valid_ipv6(std::string_view text) {
  const auto percent = text.find('%');
  const std::string_view address = text.substr(0, percent);
  if (address.find(':') == std::string_view::npos) {
    return false;
  }
  const bool address_ok = std::all_of(address.begin(), address.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
  });
  if (!address_ok) {
    return false;
  }
  if (percent == std::string_view::npos) {
    return true;
  }
  const std::string_view zone = text.substr(percent + 1);
  return !zone.empty() && std::all_of(zone.begin(), zone.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

std::optional<Endpoint> parse_host_port(std::string_view text) {
  std::string_view host;
  std::string_view rest;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    rest = text.substr(close + 1);
    if (!valid_ipv6(host)) {
      return std::nullopt;
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    host = text.substr(0, colon);
    rest = text.substr(colon);
    if (!valid_hostname(host)) {  // also rejects an unbracketed IPv6 address
      return std::nullopt;
    }
  }
  if (!rest.starts_with(':')) {
    return std::nullopt;
  }
  const auto port = parse_port(rest.substr(1));
  if (!port) {
    return std::nullopt;
  }
  return Endpoint{std::string(host), *port};
}

std::optional<Endpoint> parse_mqtt_url(std::string_view text) {
  constexpr std::string_view scheme = "mqtt://";
  if (!text.starts_with(scheme)) {
    return std::nullopt;
  }
  std::string host_port(text.substr(scheme.size()));
  if (!host_port.empty() && host_port.back() == '/') {
    host_port.pop_back();
  }
  const bool has_port = host_port.starts_with('[') ? host_port.find("]:") != std::string::npos
                                                   : host_port.find(':') != std::string::npos;
  auto endpoint = parse_host_port(has_port ? host_port : host_port + ":1883");
  if (!endpoint || endpoint->port == 0) {
    return std::nullopt;
  }
  return endpoint;
}

std::string resolve_path(const Config& config, std::string_view path) {
  const std::filesystem::path p(path);
  if (p.is_absolute()) {
    return p.lexically_normal().string();
  }
  return (std::filesystem::path(config.server.data_dir) / p).lexically_normal().string();
}

std::optional<unsigned> parse_unix_mode(std::string_view text) {
  if (text.size() < 3 || text.size() > 4) {
    return std::nullopt;
  }
  unsigned mode = 0;
  for (char c : text) {
    if (c < '0' || c > '7') {
      return std::nullopt;
    }
    mode = mode * 8 + static_cast<unsigned>(c - '0');
  }
  if (mode > 0777) {
    return std::nullopt;
  }
  return mode;
}

std::string_view to_string(LogFormat format) {
  return format == LogFormat::json ? "json" : "text";
}

Config default_config() {
  Config config;
  ListenerConfig tcp;
  tcp.transport = "tcp";
  tcp.bind = "0.0.0.0:1883";
  ListenerConfig unix_socket;
  unix_socket.transport = "unix";
  unix_socket.bind = "ferry.sock";
  config.listeners = {tcp, unix_socket};
  config.source = "defaults";
  return config;
}

}  // namespace ferry::config
