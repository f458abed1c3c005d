#include "broker/client.hpp"

namespace ferry::broker {

Client::~Client() {
  if (listener_slots) {
    listener_slots->fetch_sub(1);
  }
}

void Client::release_output() {
  if (output_holds_ > 0 && --output_holds_ == 0) {
    output_released();
  }
}

std::uint64_t Client::expect_ack(std::uint16_t packet_id, std::uint8_t qos) {
  pending_acks_.push_back({++next_ticket_, packet_id, qos});
  return next_ticket_;
}

void Client::complete_ack(std::uint64_t ticket, bool ok) {
  for (auto& pending : pending_acks_) {
    if (pending.ticket == ticket) {
      pending.done = true;
      pending.ok = ok;
    }
  }
  while (!pending_acks_.empty() && pending_acks_.front().done) {
    PendingAck a = pending_acks_.front();
    pending_acks_.pop_front();
    mqtt::Reason reason = a.ok ? mqtt::Reason::success : mqtt::Reason::quota_exceeded;
    if (!a.ok && version() != mqtt::Version::v5) {
      continue;  // 3.x has no way to refuse: leave it unacknowledged, the client resends
    }
    if (a.qos == 1) {
      send(mqtt::Puback{{a.packet_id, reason}});
    } else {
      send(mqtt::Pubrec{{a.packet_id, reason}});
    }
  }
}

}  // namespace ferry::broker
