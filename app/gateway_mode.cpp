#include "app/gateway_mode.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "broker/shard.hpp"
#include "gateway/bridge.hpp"
#include "gateway/transparent_client.hpp"

namespace ferry::app {
namespace {

gateway::UpstreamSettings upstream_settings(const config::GatewayConfig& g) {
  auto endpoint = config::parse_mqtt_url(g.upstream);  // checked when loaded
  gateway::UpstreamSettings s;
  s.address = {endpoint->host, endpoint->port};
  s.backoff = {g.reconnect_min_ms, std::max(g.reconnect_min_ms, g.reconnect_max_ms)};
  s.version = g.protocol == "3.1.1" ? mqtt::Version::v3_1_1 : mqtt::Version::v5;
  s.keep_alive = static_cast<std::uint16_t>(g.keep_alive_s);
  s.session_expiry = g.session_expiry_s;
  s.max_buffered = g.max_buffered_messages;
  if (!g.username.empty()) {
    s.username = g.username;
  }
  if (!g.password.empty()) {
    s.password = g.password;
  }
  return s;
}

bool has_sn_listener(const config::Config& c) {
  for (const auto& l : c.listeners) {
    if (l.transport == "mqttsn") {
      return true;
    }
  }
  return false;
}

}  // namespace

void check_gateway(const config::Config& c) {
  const auto& g = c.gateway;
  if (g.upstream.empty()) {
    return;
  }
  if (g.mode == "aggregating" && g.protocol != "5") {
    // Without No Local the upstream would send the gateway's own messages back, and
    // local subscribers would get them twice.
    throw config::ConfigError(
        fmt::format("{}: gateway.protocol: aggregating mode needs an MQTT 5 upstream (got '{}')",
                    c.source, g.protocol));
  }
  if (!has_sn_listener(c)) {
    spdlog::warn("[gateway] upstream is set but no mqttsn listener is configured");
  }
  spdlog::info("standalone gateway: {} mode, upstream {} (MQTT {})", g.mode, g.upstream,
               g.protocol);
}

void configure_sn_listener(const config::Config& c, broker::SnGatewayOptions& options) {
  if (c.gateway.upstream.empty() || c.gateway.mode != "transparent") {
    return;
  }
  auto settings = std::make_shared<const gateway::UpstreamSettings>(upstream_settings(c.gateway));
  options.make_client = [settings](broker::SnGateway& gw, transports::DatagramPeer peer,
                                   std::optional<sn::Forwarder> via) {
    return std::make_unique<gateway::TransparentClient>(gw, peer, std::move(via), settings);
  };
}

void start_bridge(const config::Config& c, broker::Broker& broker) {
  if (c.gateway.upstream.empty() || c.gateway.mode != "aggregating") {
    return;
  }
  gateway::UpstreamSettings s = upstream_settings(c.gateway);
  mqtt::ClientOptions options;
  options.version = s.version;
  options.client_id = c.gateway.client_id;
  options.keep_alive = s.keep_alive;
  options.clean_start = false;  // messages queued upstream while the gateway was down
  options.session_expiry = s.session_expiry;
  options.username = s.username;
  options.password = s.password;
  options.max_buffered = s.max_buffered;
  options.manual_acks = true;  // acknowledged upstream once stored here
  broker::Shard& shard = broker.shard(0);
  auto bridge =
      std::make_unique<gateway::Bridge>(broker, shard, s.address, s.backoff, std::move(options));
  // Started on the shard's own thread; the holder keeps it until then (std::function
  // needs a copyable task).
  auto holder = std::make_shared<std::unique_ptr<gateway::Bridge>>(std::move(bridge));
  shard.loop().post([&shard, holder] {
    gateway::Bridge& ref = **holder;
    shard.add_client(std::move(*holder));
    ref.start();
  });
}

}  // namespace ferry::app
