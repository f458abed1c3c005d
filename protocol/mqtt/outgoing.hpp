// One message on its way from the broker to one client.
#pragma once

#include <cstdint>
#include <vector>

#include "protocol/mqtt/message.hpp"

namespace ferry::mqtt {

/// One message on its way to the client: the shared message plus what is particular
/// to this subscriber.
struct Outgoing {
  MessagePtr message;
  std::uint8_t qos = 0;  // granted: min(message qos, subscription qos)
  bool retain = false;   // retain flag as sent [MQTT-3.3.1-9, -12]
  std::vector<std::uint32_t> subscription_ids;
  std::uint16_t packet_id = 0;  // assigned when it enters the in-flight window
  bool released = false;        // QoS 2: PUBREC received, PUBREL sent
};

}  // namespace ferry::mqtt
