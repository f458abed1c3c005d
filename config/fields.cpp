// The table of configuration keys: name, type, range. Adding a key = one line here
// (plus the struct member and its documented default in ferry.toml).

#include "config/fields.hpp"

#include "transports/address_filter.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>

#include <fmt/format.h>

namespace ferry::config::detail {
namespace {

constexpr std::int64_t kU16Max = std::numeric_limits<std::uint16_t>::max();
constexpr std::int64_t kU32Max = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kI32Max = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kI64Max = std::numeric_limits<std::int64_t>::max();

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class Target, class Access>
Field<Target> integer(std::string_view name, Access access, std::int64_t lo, std::int64_t hi) {
  return {name, Kind::integer, [access, lo, hi](Target& target, const Value& value) {
            const auto number = std::get<std::int64_t>(value);
            if (number < lo || number > hi) {
              throw FieldError(fmt::format("must be between {} and {}", lo, hi));
            }
            auto& ref = access(target);
            using T = std::remove_cvref_t<decltype(ref)>;
            if constexpr (is_optional<T>::value) {
              ref = static_cast<typename T::value_type>(number);
            } else {
              ref = static_cast<T>(number);
            }
          }};
}

template <class Target, class Access>
Field<Target> boolean(std::string_view name, Access access) {
  return {name, Kind::boolean,
          [access](Target& target, const Value& value) { access(target) = std::get<bool>(value); }};
}

// A string with a validator returning a problem (empty = fine).
template <class Target, class Access, class Check>
Field<Target> string(std::string_view name, Access access, Check check) {
  return {name, Kind::string, [access, check](Target& target, const Value& value) {
            const auto& text = std::get<std::string>(value);
            if (std::string problem = check(text); !problem.empty()) {
              throw FieldError(problem);
            }
            access(target) = text;
          }};
}

std::string quoted_list(const std::vector<std::string_view>& values) {
  std::string out;
  for (const auto& value : values) {
    out += fmt::format("{}'{}'", out.empty() ? "" : ", ", value);
  }
  return out;
}

// An enumeration: `allowed` values work; `later` ones are known but not built yet.
auto choice(std::string_view what, std::vector<std::string_view> allowed,
            std::vector<std::string_view> later = {}) {
  return [what, allowed, later](const std::string& text) -> std::string {
    if (std::find(allowed.begin(), allowed.end(), text) != allowed.end()) {
      return {};
    }
    if (std::find(later.begin(), later.end(), text) != later.end()) {
      return fmt::format("{} '{}' is not available yet in this build (available: {})", what, text,
                         quoted_list(allowed));
    }
    return fmt::format("must be one of {} (got '{}')", quoted_list(allowed), text);
  };
}

std::string non_empty(const std::string& text) {
  return text.empty() ? "must not be empty" : "";
}

std::string valid_name(const std::string& text) {
  if (text.empty() || text.find_first_of("+#") != std::string::npos) {
    return fmt::format("invalid topic name '{}' (non-empty, no wildcards)", text);
  }
  return {};
}

std::string host_port_text(const std::string& text) {
  if (text.empty() || parse_host_port(text)) {
    return {};
  }
  return fmt::format("invalid address '{}' (expected host:port)", text);
}

std::string unix_mode_text(const std::string& text) {
  if (text.empty() || parse_unix_mode(text)) {
    return {};
  }
  return fmt::format("invalid mode '{}' (expected octal permissions like \"0660\")", text);
}

std::string address_ranges(const std::string& text) {
  std::string error;
  return transports::AddressFilter::parse(text, error) ? std::string() : error;
}

std::vector<Field<Config>> server_fields() {
  return {
      integer<Config>(
          "threads", [](Config & c) -> auto& { return c.server.threads; }, 0, 1024),
      string<Config>(
          "data_dir", [](Config & c) -> auto& { return c.server.data_dir; }, non_empty),
      integer<Config>(
          "max_keepalive", [](Config & c) -> auto& { return c.server.max_keepalive; }, 1, kU16Max),
      string<Config>(
          "log_level", [](Config & c) -> auto& { return c.server.log_level; },
          choice("log level", {"trace", "debug", "info", "warn", "error"})),
      {"log_format", Kind::string,
       [check = choice("log format", {"text", "json"})](Config& c, const Value& value) {
         const auto& text = std::get<std::string>(value);
         if (std::string problem = check(text); !problem.empty()) {
           throw FieldError(problem);
         }
         c.server.log_format = text == "json" ? LogFormat::json : LogFormat::text;
       }},
      integer<Config>(
          "shutdown_timeout_ms", [](Config & c) -> auto& { return c.server.shutdown_timeout_ms; },
          0, 3600000),
  };
}

#define FERRY_LIMIT(key, lo, hi) \
  integer<Config>(               \
      #key, [](Config & c) -> auto& { return c.limits.key; }, lo, hi)

std::vector<Field<Config>> limits_fields() {
  return {
      // MQTT's largest packet: 1 byte type + 4 bytes remaining length + 268435455.
      FERRY_LIMIT(max_packet_size, 64, 268435460),
      FERRY_LIMIT(receive_maximum, 1, kU16Max),  // 0 is a protocol error (MQTT 5 3.1.2.11.3)
      FERRY_LIMIT(max_queued_messages, 0, kU32Max),
      FERRY_LIMIT(max_queued_bytes, 0, kI64Max),
      FERRY_LIMIT(max_connections, 1, kU32Max),
      FERRY_LIMIT(topic_alias_maximum, 0, kU16Max),
      FERRY_LIMIT(max_inflight_messages, 1, kU16Max),  // packet ids are 16-bit
      FERRY_LIMIT(max_session_expiry, 0, kU32Max),
      FERRY_LIMIT(connect_timeout_ms, 1, 3600000),
  };
}

#undef FERRY_LIMIT

std::vector<Field<Config>> storage_fields() {
  return {
      string<Config>(
          "backend", [](Config & c) -> auto& { return c.storage.backend; },
          choice("backend", {"memory", "sqlite"})),
      string<Config>(
          "sync", [](Config & c) -> auto& { return c.storage.sync; },
          choice("sync", {"ack", "periodic", "off"})),
      integer<Config>(
          "sync_interval_ms", [](Config & c) -> auto& { return c.storage.sync_interval_ms; }, 1,
          60000),
  };
}

std::vector<Field<Config>> mqttsn_fields() {
  return {
      integer<Config>(
          "retry_ms", [](Config & c) -> auto& { return c.mqttsn.retry_ms; }, 100, 600000),
      integer<Config>(
          "max_retries", [](Config & c) -> auto& { return c.mqttsn.max_retries; }, 0, 100),
      integer<Config>(
          "max_queued_messages", [](Config & c) -> auto& { return c.mqttsn.max_queued_messages; },
          0, kU32Max),
  };
}

std::string upstream_url(const std::string& text) {
  if (text.empty() || parse_mqtt_url(text)) {
    return {};
  }
  if (text.starts_with("mqtts://")) {
    return "TLS upstreams (mqtts://) are not available yet in this build";
  }
  return fmt::format("invalid upstream '{}' (expected mqtt://host:port)", text);
}

std::vector<Field<Config>> gateway_fields() {
  auto any = [](const std::string&) { return std::string(); };
  return {
      string<Config>(
          "upstream", [](Config & c) -> auto& { return c.gateway.upstream; }, upstream_url),
      string<Config>(
          "mode", [](Config & c) -> auto& { return c.gateway.mode; },
          choice("mode", {"aggregating", "transparent"})),
      string<Config>(
          "protocol", [](Config & c) -> auto& { return c.gateway.protocol; },
          choice("protocol", {"5", "3.1.1"})),
      string<Config>(
          "client_id", [](Config & c) -> auto& { return c.gateway.client_id; }, non_empty),
      string<Config>(
          "username", [](Config & c) -> auto& { return c.gateway.username; }, any),
      string<Config>(
          "password", [](Config & c) -> auto& { return c.gateway.password; }, any),
      integer<Config>(
          "keep_alive_s", [](Config & c) -> auto& { return c.gateway.keep_alive_s; }, 0, kU16Max),
      integer<Config>(
          "session_expiry_s", [](Config & c) -> auto& { return c.gateway.session_expiry_s; }, 0,
          kU32Max),
      integer<Config>(
          "reconnect_min_ms", [](Config & c) -> auto& { return c.gateway.reconnect_min_ms; }, 10,
          600000),
      integer<Config>(
          "reconnect_max_ms", [](Config & c) -> auto& { return c.gateway.reconnect_max_ms; }, 10,
          3600000),
      integer<Config>(
          "max_buffered_messages",
          [](Config & c) -> auto& { return c.gateway.max_buffered_messages; }, 1, 60000),
  };
}

std::vector<Field<Config>> auth_fields() {
  return {
      boolean<Config>(
          "allow_anonymous", [](Config & c) -> auto& { return c.auth.allow_anonymous; }),
  };
}

}  // namespace

const std::vector<ScalarSection>& scalar_sections() {
  static const std::vector<Field<Config>> server = server_fields();
  static const std::vector<Field<Config>> limits = limits_fields();
  static const std::vector<Field<Config>> storage = storage_fields();
  static const std::vector<Field<Config>> mqttsn = mqttsn_fields();
  static const std::vector<Field<Config>> gateway = gateway_fields();
  static const std::vector<Field<Config>> auth = auth_fields();
  static const std::vector<ScalarSection> sections = {{"server", &server},   {"limits", &limits},
                                                      {"storage", &storage}, {"mqttsn", &mqttsn},
                                                      {"gateway", &gateway}, {"auth", &auth}};
  return sections;
}

const ScalarSection& scalar_section(std::string_view name) {
  for (const auto& section : scalar_sections()) {
    if (section.name == name) {
      return section;
    }
  }
  throw std::logic_error("no config section " + std::string(name));
}

const std::vector<Field<PredefinedTopic>>& predefined_fields() {
  using P = PredefinedTopic;
  static const std::vector<Field<P>> fields = {
      integer<P>(
          "id", [](P & p) -> auto& { return p.id; }, 1, 0xFFFE),  // 0 and 0xFFFF reserved
      string<P>(
          "topic", [](P & p) -> auto& { return p.topic; }, valid_name),
      string<P>(
          "client", [](P & p) -> auto& { return p.client; },
          [](const std::string&) { return std::string(); }),
  };
  return fields;
}

const std::vector<Field<ListenerConfig>>& listener_fields() {
  using L = ListenerConfig;
  static const std::vector<Field<L>> fields = {
      string<L>(
          "transport", [](L & l) -> auto& { return l.transport; },
          choice("transport", {"tcp", "unix", "mqttsn"}, {"tls", "ws", "wss", "sctp"})),
      string<L>(
          "bind", [](L & l) -> auto& { return l.bind; }, non_empty),
      integer<L>(
          "send_buffer", [](L & l) -> auto& { return l.send_buffer; }, 1, kI32Max),
      integer<L>(
          "receive_buffer", [](L & l) -> auto& { return l.receive_buffer; }, 1, kI32Max),
      boolean<L>(
          "nodelay", [](L & l) -> auto& { return l.nodelay; }),
      boolean<L>(
          "keepalive", [](L & l) -> auto& { return l.keepalive; }),
      boolean<L>(
          "reuseport", [](L & l) -> auto& { return l.reuseport; }),
      integer<L>(
          "backlog", [](L & l) -> auto& { return l.backlog; }, 1, 1000000),
      integer<L>(
          "max_connections", [](L & l) -> auto& { return l.max_connections; }, 0, kU32Max),
      string<L>(
          "unix_mode", [](L & l) -> auto& { return l.unix_mode; }, unix_mode_text),
      integer<L>(
          "gateway_id", [](L & l) -> auto& { return l.gateway_id; }, 0, 255),
      string<L>(
          "broadcast", [](L & l) -> auto& { return l.broadcast; }, host_port_text),
      integer<L>(
          "advertise_interval_s", [](L & l) -> auto& { return l.advertise_interval_s; }, 1, 65535),
      string<L>(
          "allow", [](L & l) -> auto& { return l.allow; }, address_ranges),
  };
  return fields;
}

void check_kind(Kind kind, const Value& value) {
  switch (kind) {
    case Kind::integer:
      if (!std::holds_alternative<std::int64_t>(value)) {
        throw FieldError("must be an integer");
      }
      return;
    case Kind::boolean:
      if (!std::holds_alternative<bool>(value)) {
        throw FieldError("must be true or false");
      }
      return;
    case Kind::string:
      if (!std::holds_alternative<std::string>(value)) {
        throw FieldError("must be a string");
      }
      return;
  }
}

namespace {

std::size_t levenshtein(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::optional<std::string_view> did_you_mean(std::string_view word,
                                             const std::vector<std::string_view>& candidates) {
  std::optional<std::string_view> best;
  std::size_t best_distance = 3;
  for (const auto& candidate : candidates) {
    const std::size_t distance = levenshtein(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string unknown_problem(std::string_view what, std::string_view word,
                            const std::vector<std::string_view>& candidates) {
  if (auto guess = did_you_mean(word, candidates)) {
    return fmt::format("unknown {} (did you mean '{}'?)", what, *guess);
  }
  return fmt::format("unknown {}", what);
}

}  // namespace ferry::config::detail
