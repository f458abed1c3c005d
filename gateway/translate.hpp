// Conversions between routed messages and the PUBLISH packets of an upstream link.
#pragma once

#include "protocol/mqtt/message.hpp"
#include "protocol/mqtt/session_state.hpp"

namespace ferry::gateway {

/// The PUBLISH that carries `item` upstream (remaining expiry, v5 properties kept).
mqtt::Publish to_publish(const mqtt::Outgoing& item, mqtt::Clock::time_point now);
/// The message a PUBLISH from upstream becomes, for local delivery.
mqtt::MessagePtr to_message(mqtt::Publish&& publish, mqtt::Clock::time_point now);

}  // namespace ferry::gateway
