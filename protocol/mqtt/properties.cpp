// MQTT 5.0 properties, driven by one table that mirrors [MQTT 2.2.2.2]: identifier,
// data type, the packets it may appear in, the value range, and the Properties member.
#include "protocol/mqtt/properties.hpp"

#include <array>
#include <optional>
#include <type_traits>
#include <variant>

#include "protocol/mqtt/topic.hpp"

namespace ferry::mqtt {

namespace {

enum class Kind : std::uint8_t { byte, two, four, varint, utf8, binary, pair };

using U8 = std::optional<std::uint8_t> Properties::*;
using U16 = std::optional<std::uint16_t> Properties::*;
using U32 = std::optional<std::uint32_t> Properties::*;
using Str = std::optional<std::string> Properties::*;
using Member = std::variant<std::monostate, U8, U16, U32, Str>;

constexpr std::uint16_t bit(PropContext c) {
  return static_cast<std::uint16_t>(1u << static_cast<unsigned>(c));
}

using C = PropContext;
constexpr std::uint16_t k_msg = bit(C::publish) | bit(C::will);
constexpr std::uint16_t k_reason_string = bit(C::connack) | bit(C::ack) | bit(C::suback) |
                                          bit(C::unsuback) | bit(C::disconnect) | bit(C::auth);
constexpr std::uint16_t k_all = 0x7FF;
constexpr std::uint32_t k_any = 0xFFFFFFFF;

struct Spec {
  std::uint8_t id;
  Kind kind;
  std::uint16_t contexts;
  Member member;
  std::uint32_t min = 0;
  std::uint32_t max = k_any;
};

// [MQTT 2.2.2.2], in identifier order (the order encode writes them).
const std::array<Spec, 27> k_specs{{
    {0x01, Kind::byte, k_msg, &Properties::payload_format_indicator, 0, 1},
    {0x02, Kind::four, k_msg, &Properties::message_expiry_interval},
    {0x03, Kind::utf8, k_msg, &Properties::content_type},
    {0x08, Kind::utf8, k_msg, &Properties::response_topic},
    {0x09, Kind::binary, k_msg, &Properties::correlation_data},
    {0x0B, Kind::varint, bit(C::publish) | bit(C::subscribe), std::monostate{}, 1,
     wire::k_varint_max},
    {0x11, Kind::four, bit(C::connect) | bit(C::connack) | bit(C::disconnect),
     &Properties::session_expiry_interval},
    {0x12, Kind::utf8, bit(C::connack), &Properties::assigned_client_identifier},
    {0x13, Kind::two, bit(C::connack), &Properties::server_keep_alive},
    {0x15, Kind::utf8, bit(C::connect) | bit(C::connack) | bit(C::auth),
     &Properties::authentication_method},
    {0x16, Kind::binary, bit(C::connect) | bit(C::connack) | bit(C::auth),
     &Properties::authentication_data},
    {0x17, Kind::byte, bit(C::connect), &Properties::request_problem_information, 0, 1},
    {0x18, Kind::four, bit(C::will), &Properties::will_delay_interval},
    {0x19, Kind::byte, bit(C::connect), &Properties::request_response_information, 0, 1},
    {0x1A, Kind::utf8, bit(C::connack), &Properties::response_information},
    {0x1C, Kind::utf8, bit(C::connack) | bit(C::disconnect), &Properties::server_reference},
    {0x1F, Kind::utf8, k_reason_string, &Properties::reason_string},
    {0x21, Kind::two, bit(C::connect) | bit(C::connack), &Properties::receive_maximum, 1},
    {0x22, Kind::two, bit(C::connect) | bit(C::connack), &Properties::topic_alias_maximum},
    {0x23, Kind::two, bit(C::publish), &Properties::topic_alias, 1},
    {0x24, Kind::byte, bit(C::connack), &Properties::maximum_qos, 0, 1},
    {0x25, Kind::byte, bit(C::connack), &Properties::retain_available, 0, 1},
    {0x26, Kind::pair, k_all, std::monostate{}},
    {0x27, Kind::four, bit(C::connect) | bit(C::connack), &Properties::maximum_packet_size, 1},
    {0x28, Kind::byte, bit(C::connack), &Properties::wildcard_subscription_available, 0, 1},
    {0x29, Kind::byte, bit(C::connack), &Properties::subscription_identifier_available, 0, 1},
    {0x2A, Kind::byte, bit(C::connack), &Properties::shared_subscription_available, 0, 1},
}};

constexpr std::uint8_t k_max_id = 0x2A;

// Identifier -> index into k_specs, or -1 for identifiers the spec does not define.
const std::array<std::int8_t, k_max_id + 1> k_index = [] {
  std::array<std::int8_t, k_max_id + 1> index{};
  index.fill(-1);
  for (std::size_t i = 0; i < k_specs.size(); ++i) {
    index[k_specs[i].id] = static_cast<std::int8_t>(i);
  }
  return index;
}();

template <class T>
Reason store_once(Properties& p, std::optional<T> Properties::*member, T value) {
  auto& slot = p.*member;
  if (slot.has_value()) {
    return Reason::protocol_error;  // non-repeatable property given twice
  }
  slot = std::move(value);
  return Reason::success;
}

Reason read_number(wire::Reader& r, const Spec& s, Properties& out) {
  std::uint32_t v = 0;
  switch (s.kind) {
    case Kind::byte:
      v = r.u8();
      break;
    case Kind::two:
      v = r.u16();
      break;
    default:
      v = r.u32();
      break;
  }
  if (!r.ok()) {
    return Reason::malformed_packet;
  }
  if (v < s.min || v > s.max) {
    // [MQTT-3.3.2-8] Topic Alias 0; others are "It is a Protocol Error ..." values.
    return s.id == 0x23 ? Reason::topic_alias_invalid : Reason::protocol_error;
  }
  if (const auto* m = std::get_if<U8>(&s.member)) {
    return store_once(out, *m, static_cast<std::uint8_t>(v));
  }
  if (const auto* m = std::get_if<U16>(&s.member)) {
    return store_once(out, *m, static_cast<std::uint16_t>(v));
  }
  return store_once(out, std::get<U32>(s.member), v);
}

Reason read_string(wire::Reader& r, const Spec& s, Properties& out) {
  const std::string_view text = r.prefixed();
  if (!r.ok() || (s.kind == Kind::utf8 && !valid_utf8(text))) {
    return Reason::malformed_packet;  // [MQTT-1.5.4-1]
  }
  return store_once(out, std::get<Str>(s.member), std::string(text));
}

Reason read_user_property(wire::Reader& r, Properties& out) {
  const std::string_view key = r.prefixed();
  const std::string_view value = r.prefixed();
  if (!r.ok() || !valid_utf8(key) || !valid_utf8(value)) {
    return Reason::malformed_packet;
  }
  out.user_properties.emplace_back(std::string(key), std::string(value));
  return Reason::success;
}

Reason read_subscription_identifier(wire::Reader& r, PropContext ctx, Properties& out) {
  const std::uint32_t v = r.varint();
  if (!r.ok()) {
    return Reason::malformed_packet;
  }
  if (v == 0) {
    return Reason::protocol_error;  // [MQTT 3.8.2.1.2] value 0 is a Protocol Error
  }
  if (ctx == PropContext::subscribe && !out.subscription_identifiers.empty()) {
    return Reason::protocol_error;  // only repeatable in PUBLISH [MQTT 3.3.2.3.8]
  }
  out.subscription_identifiers.push_back(v);
  return Reason::success;
}

Reason read_one(wire::Reader& r, const Spec& s, PropContext ctx, Properties& out) {
  switch (s.kind) {
    case Kind::pair:
      return read_user_property(r, out);
    case Kind::varint:
      return read_subscription_identifier(r, ctx, out);
    case Kind::utf8:
    case Kind::binary:
      return read_string(r, s, out);
    default:
      return read_number(r, s, out);
  }
}

// Writes every present property into `sink` (SizeSink or StringSink).
template <class Sink>
void write_all(const Properties& p, Sink& sink) {
  for (const Spec& s : k_specs) {
    if (s.kind == Kind::varint) {
      for (std::uint32_t v : p.subscription_identifiers) {
        sink.u8(s.id);
        sink.varint(v);
      }
      continue;
    }
    if (s.kind == Kind::pair) {
      for (const auto& [key, value] : p.user_properties) {
        sink.u8(s.id);
        sink.prefixed(key);
        sink.prefixed(value);
      }
      continue;
    }
    std::visit(
        [&](auto member) {
          if constexpr (!std::is_same_v<decltype(member), std::monostate>) {
            const auto& slot = p.*member;
            if (!slot.has_value()) {
              return;
            }
            sink.u8(s.id);
            using T = std::decay_t<decltype(*slot)>;
            if constexpr (std::is_same_v<T, std::string>) {
              sink.prefixed(*slot);
            } else if constexpr (std::is_same_v<T, std::uint8_t>) {
              sink.u8(*slot);
            } else if constexpr (std::is_same_v<T, std::uint16_t>) {
              sink.u16(*slot);
            } else {
              sink.u32(*slot);
            }
          }
        },
        s.member);
  }
}

}  // namespace

Reason read_properties(wire::Reader& r, PropContext ctx, Properties& out) {
  const std::uint32_t length = r.varint();
  wire::Reader block = r.sub(length);
  if (!r.ok()) {
    return Reason::malformed_packet;
  }
  while (!block.at_end()) {
    // Identifiers are variable byte integers [MQTT 2.2.2.2]; all defined ones fit a byte.
    const std::uint32_t id = block.varint();
    if (!block.ok() || id > k_max_id || k_index[id] < 0) {
      return Reason::malformed_packet;
    }
    const Spec& spec = k_specs[static_cast<std::size_t>(k_index[id])];
    if ((spec.contexts & bit(ctx)) == 0) {
      return Reason::malformed_packet;  // identifier not valid for this packet type
    }
    const Reason rc = read_one(block, spec, ctx, out);
    if (rc != Reason::success) {
      return rc;
    }
  }
  return Reason::success;
}

std::size_t properties_length(const Properties& p) {
  if (properties_empty(p)) {
    return 0;
  }
  wire::SizeSink sink;
  write_all(p, sink);
  return sink.n;
}

void put_properties(const Properties& p, std::string& out) {
  const std::size_t n = properties_length(p);
  wire::put_varint(static_cast<std::uint32_t>(n), out);
  if (n == 0) {
    return;
  }
  wire::StringSink sink{out};
  write_all(p, sink);
}

bool properties_empty(const Properties& p) {
  static const Properties k_empty{};
  return p == k_empty;
}

}  // namespace ferry::mqtt
