// A UDP socket on one shard's event loop, for the MQTT-SN gateway. No Asio here.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "transports/event_loop.hpp"

namespace ferry::transports {

/// A peer address (IPv4 or IPv6), usable as a map key. sockaddr_in6 is the largest kind
/// a UDP peer has; sockaddr_storage would be 128 bytes for each of thousands of sensors.
struct DatagramPeer {
  sockaddr_in6 address{};
  socklen_t length = 0;

  bool operator==(const DatagramPeer& o) const {
    return length == o.length && std::memcmp(&address, &o.address, length) == 0;
  }
  std::string to_string() const;
};

struct DatagramPeerHash {
  std::size_t operator()(const DatagramPeer& p) const noexcept {
    return std::hash<std::string_view>{}(
        {reinterpret_cast<const char*>(&p.address), static_cast<std::size_t>(p.length)});
  }
};

class DatagramSocket {
 public:
  using Receiver = std::function<void(std::span<const std::uint8_t>, const DatagramPeer&)>;
  virtual ~DatagramSocket() = default;
  /// Starts receiving; `on_datagram` runs on the loop's thread for every datagram.
  virtual void start(Receiver on_datagram) = 0;
  /// Sends one datagram now (UDP does not queue: a full socket buffer drops it, counted).
  virtual void send_to(std::string_view datagram, const DatagramPeer& to) = 0;
  virtual void close() = 0;
  virtual std::string local_address() const = 0;
  virtual std::uint64_t send_failures() const = 0;
};

/// Binds "host:port" / "[v6]:port" on `loop`. Throws std::runtime_error naming the address.
std::unique_ptr<DatagramSocket> open_udp(EventLoop& loop, const std::string& bind);
/// Socket buffer sizes (SO_RCVBUF / SO_SNDBUF); 0 = the kernel default.
struct DatagramOptions {
  int receive_buffer = 0;
  int send_buffer = 0;
  /// A multicast group to receive (e.g. MQTT-SN SEARCHGW); other addresses are ignored.
  std::optional<DatagramPeer> multicast_group;
};

/// One socket per loop on the same address (SO_REUSEPORT): the kernel hashes each peer's
/// address to one socket, so a peer always reaches the same loop. Port 0 resolves once.
std::vector<std::unique_ptr<DatagramSocket>> open_udp_group(const std::vector<EventLoop*>& loops,
                                                            const std::string& bind,
                                                            DatagramOptions options = {});
/// Resolves "host:port" (e.g. a broadcast or multicast group) into a peer address.
DatagramPeer resolve_peer(const std::string& host_port);

}  // namespace ferry::transports
