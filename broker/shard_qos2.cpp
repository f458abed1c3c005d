// Exactly once for QoS 2 while a PUBLISH's commit runs (storage sync = "ack"): the id
// enters the session's dedupe set only when the message is durable, so a publisher that
// reconnects and resends before then must not have the message routed a second time
// [MQTT 4.3.3]. The resend's PUBREC waits for the first copy's commit instead.
#include "broker/broker.hpp"
#include "broker/client.hpp"
#include "broker/shard.hpp"

namespace ferry::broker {

void Shard::start_committing(const Session& session, std::uint16_t packet_id) {
  committing_qos2_.try_emplace({session.id, packet_id});
}

bool Shard::await_committing(Client& client, const Session& session, std::uint16_t packet_id) {
  auto it = committing_qos2_.find({session.id, packet_id});
  if (it == committing_qos2_.end()) {
    return false;
  }
  it->second.push_back(AckWaiter{client.serial, &client, client.expect_ack(packet_id, 2)});
  return true;
}

/// The ids of `session_id` still committing here; their entries stay for the waiters
/// already registered on this shard, which the commit's end acknowledges here.
std::vector<std::uint16_t> Shard::take_committing(std::uint64_t session_id) {
  std::vector<std::uint16_t> ids;
  auto it = committing_qos2_.lower_bound({session_id, 0});
  for (; it != committing_qos2_.end() && it->first.first == session_id; ++it) {
    ids.push_back(it->first.second);
  }
  return ids;
}

void Shard::qos2_committed(std::uint64_t session_id, std::uint16_t packet_id, bool ok,
                           bool remember) {
  auto waiting = committing_qos2_.extract({session_id, packet_id});
  if (!waiting.empty()) {
    for (const AckWaiter& w : waiting.mapped()) {
      if (Client* client = live_client(w.client, w.serial)) {
        client->complete_ack(w.ticket, ok);  // PUBREC (which keeps the id), or a failure
        remember = remember && !ok;
      }
    }
  }
  if (auto session = sessions_.find(session_id); session != sessions_.end()) {
    if (ok && remember) {
      session->second->state.inbound_qos2.insert(packet_id);  // a later resend gets PUBREC
    }
    return;
  }
  if (auto moved = moved_.find(session_id); moved != moved_.end()) {
    Shard& next = broker_.shard(moved->second.shard);
    next.loop().post([&next, session_id, packet_id, ok, remember] {
      next.qos2_committed(session_id, packet_id, ok, remember);
    });
  }
}

}  // namespace ferry::broker
