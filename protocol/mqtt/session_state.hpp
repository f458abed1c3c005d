// The part of an MQTT session that outlives a network connection [MQTT 4.1]: messages in
// flight in both directions and messages queued for the client. Plain data, owned by the
// broker's session and lent to the Connection while one is attached.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>

#include "protocol/mqtt/outgoing_list.hpp"
#include "protocol/mqtt/packet_id_set.hpp"
#include "protocol/sn/topic_registry.hpp"

namespace ferry::mqtt {

/// Most sessions have nothing in flight or queued: OutgoingList is one pointer and
/// allocates nothing then (an idle connection's memory is a benchmark target).
struct SessionState {
  OutgoingList inflight;  // sent, unacknowledged, in send order (resent on reconnect)
  OutgoingList queue;     // waiting for a free slot or for the client to connect
  std::size_t queued_bytes = 0;
  PacketIdSet inbound_qos2;  // PUBREC sent, PUBREL not yet received
  /// MQTT-SN only: the client's topic ids [MQTT-SN 6.5]. They belong to the session: a
  /// reconnect with CleanSession 0, or a restart, gives back the confirmed ones.
  sn::TopicRegistry sn_topic_ids;
  std::uint16_t last_packet_id = 0;  // at the end: its padding splits no two members

  /// Appends `item` to the queue unless that would pass `max_messages` or `max_bytes`
  /// (offline and slow sessions, MQTT-SN sleepers): false and `item` untouched if so.
  bool queue_bounded(Outgoing&& item, std::size_t max_messages, std::uint64_t max_bytes) {
    if (queue.size() >= max_messages || queued_bytes + item.message->payload_size() > max_bytes) {
      return false;
    }
    queued_bytes += item.message->payload_size();
    queue.push_back(std::move(item));
    return true;
  }
  /// Takes the head of the queue (not empty).
  Outgoing pop_queued() {
    Outgoing item = std::move(queue.front());
    queue.pop_front();
    queued_bytes -= std::min(queued_bytes, item.message->payload_size());
    return item;
  }

  /// Next packet id not in flight [MQTT-2.2.1-3]. Returns 0 when all 65535 are taken.
  std::uint16_t next_packet_id() {
    for (int tries = 0; tries < 65535; ++tries) {
      last_packet_id = static_cast<std::uint16_t>(last_packet_id == 65535 ? 1 : last_packet_id + 1);
      if (!in_flight(last_packet_id)) {
        return last_packet_id;
      }
    }
    return 0;
  }

  /// In the window, or waiting at the head of the queue with the id it was sent under
  /// on an earlier connection.
  bool in_flight(std::uint16_t id) const {
    for (const auto& o : inflight) {
      if (o.packet_id == id) {
        return true;
      }
    }
    for (const auto& o : queue) {
      if (o.packet_id == 0) {
        break;
      }
      if (o.packet_id == id) {
        return true;
      }
    }
    return false;
  }
};

}  // namespace ferry::mqtt
