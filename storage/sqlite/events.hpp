// The queued form of each Storage call, as the writer thread applies it. Internal to
// storage/sqlite.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "storage/storage.hpp"

namespace ferry::storage::sqlite {

struct PutSession {
  SessionRecord record;
};
struct EraseSession {
  std::string client_id;
};
struct PutSubscription {
  SubscriptionRecord record;
};
struct EraseSubscription {
  std::string client_id;
  std::string filter;
};
struct PutRetained {
  mqtt::MessagePtr message;
};
struct PutMessage {
  MessageRecord record;
};
struct Enqueue {
  QueuedRecord record;
};
struct Dequeue {
  std::string client_id;
  MessageId message = 0;
};
struct PutInbound {
  std::string client_id;
  std::uint16_t packet_id = 0;
};
struct EraseInbound {
  std::string client_id;
  std::uint16_t packet_id = 0;
};
struct PutTopic {
  TopicRecord record;
};
struct EraseTopic {
  std::string client_id;
  std::uint16_t topic_id = 0;
};
/// commit() or flush(): no SQL, a callback run when its batch ends. `urgent` (flush)
/// makes a periodic writer commit now rather than at the end of its interval.
struct Commit {
  std::function<void(bool ok)> done;
  bool urgent = false;
};

using Event = std::variant<PutSession, EraseSession, PutSubscription, EraseSubscription,
                           PutRetained, PutMessage, Enqueue, Dequeue, PutInbound, EraseInbound,
                           PutTopic, EraseTopic, Commit>;

/// Both clocks read once, so steady_clock expiry converts to wall-clock and back
/// (stored as Unix milliseconds) with one consistent offset per batch / restore.
struct Clocks {
  std::chrono::steady_clock::time_point steady = std::chrono::steady_clock::now();
  std::chrono::system_clock::time_point wall = std::chrono::system_clock::now();

  std::int64_t to_wall_ms(std::chrono::steady_clock::time_point t) const {
    const auto at =
        wall + std::chrono::duration_cast<std::chrono::system_clock::duration>(t - steady);
    return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  }
  std::chrono::steady_clock::time_point from_wall_ms(std::int64_t ms) const {
    const std::chrono::system_clock::time_point at{std::chrono::milliseconds(ms)};
    return steady + std::chrono::duration_cast<std::chrono::steady_clock::duration>(at - wall);
  }
};

}  // namespace ferry::storage::sqlite
