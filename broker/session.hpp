// A broker session [MQTT 4.1]: the state that outlives connections, living on one shard.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "broker/subscriptions.hpp"
#include "protocol/mqtt/packet.hpp"
#include "protocol/mqtt/session_state.hpp"
#include "transports/event_loop.hpp"

namespace ferry::broker {

class Client;

inline constexpr std::uint32_t never_expires = 0xFFFFFFFF;

/// The small members come last, together, so that padding does not grow every session.
struct Session {
  std::uint64_t id = 0;
  std::string client_id;
  mqtt::SessionState state;
  std::unique_ptr<mqtt::Will> will;  // held apart: most sessions have none
  Subscriptions subscriptions;
  Client* client = nullptr;          // the attached connection on this shard, if any
  std::int64_t disconnected_at = 0;  // restore only: wall-clock seconds when it went offline
  std::unique_ptr<transports::Timer> expiry_timer;
  std::unique_ptr<transports::Timer> will_timer;
  std::uint32_t expiry_interval = 0;  // seconds after disconnect; never_expires = forever
  std::uint32_t will_delay = 0;
  mqtt::Version version = mqtt::Version::v3_1_1;
  bool stored = false;  // written to storage (so its end must erase it there)

  bool online() const { return client != nullptr; }
};

}  // namespace ferry::broker
