// The standalone gateway mode ([gateway] upstream = "mqtt://..."): wires the MQTT-SN
// listeners to another broker, transparently (one upstream connection per MQTT-SN
// client) or aggregating (this broker plus one bridge connection). Startup only.
#pragma once

#include "broker/broker.hpp"
#include "broker/sn_gateway.hpp"
#include "config/config.hpp"

namespace ferry::app {

/// Checks the [gateway] section against the rest of the config; throws ConfigError.
void check_gateway(const config::Config& c);
/// Transparent mode: makes the listener's MQTT-SN clients upstream clients.
void configure_sn_listener(const config::Config& c, broker::SnGatewayOptions& options);
/// Aggregating mode: starts the bridge on shard 0 (runs once the shard loop runs).
void start_bridge(const config::Config& c, broker::Broker& broker);

}  // namespace ferry::app
