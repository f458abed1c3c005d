#include "storage/sqlite/codec.hpp"

#include <array>
#include <optional>
#include <utility>

#include "storage/sqlite/storage_error.hpp"

namespace ferry::storage::sqlite {
namespace {

using mqtt::Properties;
using U8 = std::optional<std::uint8_t> Properties::*;
using U16 = std::optional<std::uint16_t> Properties::*;
using U32 = std::optional<std::uint32_t> Properties::*;
using Str = std::optional<std::string> Properties::*;  // UTF-8 string or binary data

// Identifiers from [MQTT 2.2.2.2]; the table is the whole format.
constexpr std::array<std::pair<std::uint8_t, U8>, 8> k_u8{{
    {0x01, &Properties::payload_format_indicator},
    {0x17, &Properties::request_problem_information},
    {0x19, &Properties::request_response_information},
    {0x24, &Properties::maximum_qos},
    {0x25, &Properties::retain_available},
    {0x28, &Properties::wildcard_subscription_available},
    {0x29, &Properties::subscription_identifier_available},
    {0x2A, &Properties::shared_subscription_available},
}};
constexpr std::array<std::pair<std::uint8_t, U16>, 4> k_u16{{
    {0x13, &Properties::server_keep_alive},
    {0x21, &Properties::receive_maximum},
    {0x22, &Properties::topic_alias_maximum},
    {0x23, &Properties::topic_alias},
}};
constexpr std::array<std::pair<std::uint8_t, U32>, 4> k_u32{{
    {0x02, &Properties::message_expiry_interval},
    {0x11, &Properties::session_expiry_interval},
    {0x18, &Properties::will_delay_interval},
    {0x27, &Properties::maximum_packet_size},
}};
constexpr std::array<std::pair<std::uint8_t, Str>, 9> k_str{{
    {0x03, &Properties::content_type},
    {0x08, &Properties::response_topic},
    {0x09, &Properties::correlation_data},
    {0x12, &Properties::assigned_client_identifier},
    {0x15, &Properties::authentication_method},
    {0x16, &Properties::authentication_data},
    {0x1A, &Properties::response_information},
    {0x1C, &Properties::server_reference},
    {0x1F, &Properties::reason_string},
}};
constexpr std::uint8_t k_subscription_id = 0x0B;
constexpr std::uint8_t k_user_property = 0x26;

void put_be(std::string& out, std::uint32_t v, int bytes) {
  for (int k = bytes - 1; k >= 0; --k) {
    out.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
  }
}

// Little-endian base-128, up to five bytes: the full uint32 range (wider than MQTT's).
void put_varint(std::string& out, std::uint64_t v) {
  do {
    const auto b = static_cast<std::uint8_t>(v & 0x7F);
    v >>= 7;
    out.push_back(static_cast<char>(v != 0 ? (b | 0x80) : b));
  } while (v != 0);
}

void put_str(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

/// Bounds-checked reader; any short read throws (the row is corrupt).
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool at_end() const { return pos_ == in_.size(); }
  std::uint32_t be(int bytes) {
    need(static_cast<std::size_t>(bytes));
    std::uint32_t v = 0;
    for (int k = 0; k < bytes; ++k) {
      v = (v << 8) | static_cast<std::uint8_t>(in_[pos_++]);
    }
    return v;
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const std::uint32_t b = be(1);
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    fail();
  }
  std::string str() {
    const auto n = varint();
    need(n);
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }

 private:
  void need(std::uint64_t n) {
    if (n > in_.size() - pos_) {
      fail();
    }
  }
  [[noreturn]] static void fail() { throw StorageError("corrupt blob in a stored row"); }
  std::string_view in_;
  std::size_t pos_ = 0;
};

template <class Table>
bool read_one(const Table& table, std::uint8_t id, Reader& r, Properties& p, int bytes) {
  for (const auto& [tid, member] : table) {
    if (tid == id) {
      if constexpr (std::is_same_v<typename Table::value_type::second_type, Str>) {
        p.*member = r.str();
      } else {
        using T = typename std::remove_reference_t<decltype(p.*member)>::value_type;
        p.*member = static_cast<T>(r.be(bytes));
      }
      return true;
    }
  }
  return false;
}

void read_property(Reader& r, Properties& p) {
  const auto id = static_cast<std::uint8_t>(r.be(1));
  if (id == k_subscription_id) {
    p.subscription_identifiers.push_back(static_cast<std::uint32_t>(r.varint()));
  } else if (id == k_user_property) {
    auto name = r.str();
    p.user_properties.emplace_back(std::move(name), r.str());
  } else if (!read_one(k_u8, id, r, p, 1) && !read_one(k_u16, id, r, p, 2) &&
             !read_one(k_u32, id, r, p, 4) && !read_one(k_str, id, r, p, 0)) {
    throw StorageError("corrupt properties blob: unknown identifier " + std::to_string(id));
  }
}

void write_properties(const Properties& p, std::string& out) {
  const auto fixed = [&](const auto& table, int bytes) {
    for (const auto& [id, member] : table) {
      if (p.*member) {
        out.push_back(static_cast<char>(id));
        put_be(out, *(p.*member), bytes);
      }
    }
  };
  fixed(k_u8, 1);
  fixed(k_u16, 2);
  fixed(k_u32, 4);
  for (const auto& [id, member] : k_str) {
    if (p.*member) {
      out.push_back(static_cast<char>(id));
      put_str(out, *(p.*member));
    }
  }
  for (auto sid : p.subscription_identifiers) {
    out.push_back(static_cast<char>(k_subscription_id));
    put_varint(out, sid);
  }
  for (const auto& [name, value] : p.user_properties) {
    out.push_back(static_cast<char>(k_user_property));
    put_str(out, name);
    put_str(out, value);
  }
}

}  // namespace

std::string encode_properties(const Properties& properties) {
  std::string out;
  write_properties(properties, out);
  return out;
}

Properties decode_properties(std::string_view blob) {
  Properties p;
  Reader r(blob);
  while (!r.at_end()) {
    read_property(r, p);
  }
  return p;
}

std::string encode_will(const mqtt::Will& will) {
  std::string out;
  out.push_back(static_cast<char>(will.qos));
  out.push_back(static_cast<char>(will.retain ? 1 : 0));
  put_str(out, will.topic);
  put_str(out, will.payload);
  write_properties(will.properties, out);
  return out;
}

mqtt::Will decode_will(std::string_view blob) {
  Reader r(blob);
  mqtt::Will will;
  will.qos = static_cast<std::uint8_t>(r.be(1));
  will.retain = r.be(1) != 0;
  will.topic = r.str();
  will.payload = r.str();
  while (!r.at_end()) {
    read_property(r, will.properties);
  }
  return will;
}

std::string encode_ids(const std::vector<std::uint32_t>& ids) {
  std::string out;
  for (auto id : ids) {
    put_varint(out, id);
  }
  return out;
}

std::vector<std::uint32_t> decode_ids(std::string_view blob) {
  std::vector<std::uint32_t> ids;
  Reader r(blob);
  while (!r.at_end()) {
    ids.push_back(static_cast<std::uint32_t>(r.varint()));
  }
  return ids;
}

}  // namespace ferry::storage::sqlite
