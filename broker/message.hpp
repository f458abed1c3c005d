// The broker routes protocol-level messages; see protocol/mqtt/message.hpp.
#pragma once

#include "protocol/mqtt/message.hpp"

namespace ferry::broker {

using Clock = mqtt::Clock;
using Message = mqtt::Message;
using MessagePtr = mqtt::MessagePtr;

}  // namespace ferry::broker
