// The integrated MQTT-SN gateway [MQTT-SN 1.2]: one UDP socket on one shard, a SnClient
// per client address (and per wireless node behind a forwarder), discovery (ADVERTISE,
// SEARCHGW/GWINFO) and QoS -1 publishes from unconnected clients.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "protocol/sn/gateway_session.hpp"
#include "transports/address_filter.hpp"
#include "transports/event_loop.hpp"
#include "transports/udp/datagram_socket.hpp"

namespace ferry::broker {

class Shard;
class SnClient;
class SnGateway;

/// Makes the driver of a new MQTT-SN client (the standalone transparent gateway's).
using SnClientFactory = std::function<std::unique_ptr<SnClient>(
    SnGateway&, transports::DatagramPeer, std::optional<sn::Forwarder>)>;

/// One listener's gateways (one per shard) share this: a broadcast or multicast SEARCHGW
/// reaches every shard's socket, and one GWINFO answers it.
class SearchgwReplies {
 public:
  /// True for the first SEARCHGW from `from` within a second; later copies are dropped
  /// (clients wait far longer before they search again [MQTT-SN 6.1]).
  bool first(const transports::DatagramPeer& from, std::chrono::steady_clock::time_point now);

 private:
  static constexpr std::size_t k_max_recent = 256;
  std::mutex mutex_;
  std::vector<std::pair<transports::DatagramPeer, std::chrono::steady_clock::time_point>> recent_;
};

struct SnGatewayOptions {
  std::uint8_t gateway_id = 1;
  /// Where ADVERTISE and GWINFO go (broadcast address or multicast group); none = off.
  std::optional<transports::DatagramPeer> broadcast;
  bool advertises = false;  // one gateway of a listener sends the periodic ADVERTISE
  std::uint32_t advertise_interval_s = 900;
  std::shared_ptr<SearchgwReplies> searchgw_replies;  // shared by the listener's gateways
  sn::GatewayLimits limits;
  std::shared_ptr<const sn::PredefinedTopics> predefined;
  SnClientFactory make_client;  // empty: SnClient, a session of this broker
  /// Where QoS -1 senders and forwarders may be; empty = anywhere.
  transports::AddressFilter allow;
};

struct SnGatewayStats {
  std::uint64_t malformed = 0;   // undecodable datagrams, dropped
  std::uint64_t unexpected = 0;  // datagrams from unknown clients that are not CONNECT
  std::uint64_t qos_minus_one = 0;
  std::uint64_t refused = 0;  // QoS -1 or forwarder datagrams from outside `allow`
};

class SnGateway {
 public:
  SnGateway(Shard& shard, std::unique_ptr<transports::DatagramSocket> socket,
            SnGatewayOptions options);
  ~SnGateway();

  /// Starts receiving and, when a broadcast address is set, advertising. Call before the
  /// shard's loop runs or on its thread.
  void start();
  void stop();
  std::string local_address() const { return socket_->local_address(); }
  const SnGatewayStats& stats() const { return stats_; }

  // For SnClient.
  Shard& shard() { return shard_; }
  sn::GatewayContext& context() { return context_; }
  void send(std::string_view datagram, const transports::DatagramPeer& to);
  void forget(const SnClient& client);
  /// A cleared scratch Actions for a client's session, and its return once carried out.
  std::unique_ptr<sn::Actions> lend_actions();
  void give_back(std::unique_ptr<sn::Actions> actions);

 private:
  /// A client is known by its address and, behind a forwarder, its wireless node id.
  struct Key {
    const transports::DatagramPeer& peer;
    std::string_view node_id;  // empty when the client talks to the gateway directly
  };
  /// The clients are the set's keys (no copy of their addresses): lookups by Key.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(const Key& k) const;
    std::size_t operator()(const SnClient* c) const;
  };
  struct KeyEqual {
    using is_transparent = void;
    bool operator()(const Key& a, const SnClient* b) const;
    bool operator()(const SnClient* a, const Key& b) const { return (*this)(b, a); }
    bool operator()(const SnClient* a, const SnClient* b) const { return a == b; }
  };

  void on_datagram(std::span<const std::uint8_t> datagram, const transports::DatagramPeer& from);
  bool answer_gateway_message(const sn::Message& message, const transports::DatagramPeer& from,
                              const std::optional<sn::Forwarder>& via);
  void new_client(const transports::DatagramPeer& from, std::optional<sn::Forwarder> via,
                  std::span<const std::uint8_t> datagram);
  void advertise();
  bool admitted(const transports::DatagramPeer& from);

  Shard& shard_;
  std::unique_ptr<transports::DatagramSocket> socket_;
  SnGatewayOptions options_;
  sn::GatewayContext context_;
  std::unordered_set<SnClient*, KeyHash, KeyEqual> clients_;
  std::vector<std::unique_ptr<sn::Actions>> spare_actions_;
  std::unique_ptr<transports::Timer> advertise_timer_;
  SnGatewayStats stats_;
};

}  // namespace ferry::broker
