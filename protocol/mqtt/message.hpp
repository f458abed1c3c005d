// An application message as the broker routes it: immutable once published, shared by
// every subscriber, shard and store that holds it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "protocol/mqtt/packet.hpp"

namespace ferry::mqtt {

using Clock = std::chrono::steady_clock;

struct Message {
  std::string topic;
  SharedBytes payload;
  std::uint8_t qos = 0;
  bool retain = false;
  /// Properties forwarded to subscribers [MQTT-3.3.2-*]: payload format, content type,
  /// response topic, correlation data, user properties. Message expiry lives in
  /// `expires_at` and is rewritten per delivery; topic alias and subscription ids are
  /// per delivery and never stored here.
  Properties properties;
  std::optional<Clock::time_point> expires_at;
  std::uint64_t origin_session = 0;  // publisher's session id, for No Local
  /// Id of the stored copy when persistent sessions hold it in storage; 0 = not stored.
  std::uint64_t store_id = 0;

  bool expired(Clock::time_point now) const { return expires_at && now >= *expires_at; }
  /// Remaining Message Expiry Interval in seconds to forward [MQTT-3.3.2-6].
  std::optional<std::uint32_t> remaining_expiry(Clock::time_point now) const {
    if (!expires_at) {
      return std::nullopt;
    }
    auto left = std::chrono::ceil<std::chrono::seconds>(*expires_at - now).count();
    return static_cast<std::uint32_t>(left < 0 ? 0 : left);
  }
  std::size_t payload_size() const { return payload ? payload->size() : 0; }
};

using MessagePtr = std::shared_ptr<const Message>;

}  // namespace ferry::mqtt
