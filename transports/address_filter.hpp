// An allow-list of IPv4/IPv6 address ranges ("10.0.0.0/8, 192.168.1.7, fd00::/8").
// Header-only and Asio-free: the config loader validates the text with it, the MQTT-SN
// gateway matches peers against it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::transports {

class AddressFilter {
 public:
  /// Parses a comma-separated list; on error returns nullopt and sets `error`.
  static std::optional<AddressFilter> parse(std::string_view text, std::string& error) {
    AddressFilter filter;
    while (!text.empty()) {
      std::size_t comma = text.find(',');
      std::string_view item = trim(text.substr(0, comma));
      text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
      if (item.empty()) {
        continue;
      }
      auto range = parse_range(item);
      if (!range) {
        error = "invalid address range '" + std::string(item) +
                "' (expected an IPv4/IPv6 address, optionally /prefix)";
        return std::nullopt;
      }
      filter.ranges_.push_back(*range);
    }
    return filter;
  }

  bool empty() const { return ranges_.empty(); }

  /// Whether `address` (a sockaddr_in or sockaddr_in6) is in a range. IPv4-mapped IPv6
  /// addresses match IPv4 ranges.
  bool allows(const sockaddr* address) const {
    Range peer{};
    if (address->sa_family == AF_INET) {
      std::memcpy(peer.bytes.data(), &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, 4);
    } else if (address->sa_family == AF_INET6) {
      const auto* a6 = reinterpret_cast<const sockaddr_in6*>(address);
      static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
      if (std::memcmp(&a6->sin6_addr, mapped, 12) == 0) {
        std::memcpy(peer.bytes.data(), reinterpret_cast<const std::uint8_t*>(&a6->sin6_addr) + 12,
                    4);
      } else {
        peer.v6 = true;
        std::memcpy(peer.bytes.data(), &a6->sin6_addr, 16);
      }
    } else {
      return false;
    }
    for (const Range& r : ranges_) {
      if (r.v6 == peer.v6 && prefix_equal(r.bytes, peer.bytes, r.prefix)) {
        return true;
      }
    }
    return false;
  }

 private:
  struct Range {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};
    int prefix = 0;
  };

  static std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') {
      s.remove_prefix(1);
    }
    while (!s.empty() && s.back() == ' ') {
      s.remove_suffix(1);
    }
    return s;
  }

  static std::optional<Range> parse_range(std::string_view item) {
    Range r;
    std::size_t slash = item.find('/');
    std::string address(item.substr(0, slash));
    r.v6 = address.find(':') != std::string::npos;
    if (inet_pton(r.v6 ? AF_INET6 : AF_INET, address.c_str(), r.bytes.data()) != 1) {
      return std::nullopt;
    }
    int bits = r.v6 ? 128 : 32;
    r.prefix = bits;
    if (slash != std::string_view::npos) {
      std::string_view p = item.substr(slash + 1);
      auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), r.prefix);
      if (ec != std::errc() || end != p.data() + p.size() || r.prefix < 0 || r.prefix > bits) {
        return std::nullopt;
      }
    }
    return r;
  }

  static bool prefix_equal(const std::array<std::uint8_t, 16>& a,
                           const std::array<std::uint8_t, 16>& b, int prefix) {
    int whole = prefix / 8;
    if (std::memcmp(a.data(), b.data(), static_cast<std::size_t>(whole)) != 0) {
      return false;
    }
    int rest = prefix % 8;
    if (rest == 0) {
      return true;
    }
    auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
  }

  std::vector<Range> ranges_;
};

}  // namespace ferry::transports
