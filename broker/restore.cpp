// Start-up: rebuild sessions, subscriptions, retained and queued messages from storage.
// Runs on the main thread before any shard thread starts.
#include <chrono>
#include <functional>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "broker/broker.hpp"
#include "broker/shard.hpp"

namespace ferry::broker {
namespace {

std::int64_t wall_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct RestoreCounts {
  std::size_t sessions = 0, subscriptions = 0, retained = 0, queued = 0, orphans = 0;
};

}  // namespace

void Broker::restore() {
  storage::Storage* store = persistence_.storage();
  if (!store) {
    return;
  }
  std::unordered_map<std::string, Session*> sessions;
  std::unordered_map<storage::MessageId, MessagePtr> bodies;
  RestoreCounts counts;
  storage::Storage::Visitor v;
  v.session = [&](storage::SessionRecord&& r) {
    std::size_t shard = std::hash<std::string>{}(r.client_id) % shards_.size();
    Session& s = shards_[shard]->restore_session(r.client_id, new_session_id());
    s.version = r.version;
    s.expiry_interval = r.expiry_interval;
    if (r.will) {
      s.will = std::make_unique<mqtt::Will>(std::move(*r.will));
    }
    s.will_delay = r.will_delay;
    s.disconnected_at = r.disconnected_at;
    directory_[r.client_id] = {.shard = static_cast<std::uint32_t>(shard), .session = s.id};
    session_info_[s.id] = {r.client_id, true};
    sessions[r.client_id] = &s;
    ++counts.sessions;
  };
  v.subscription = [&](storage::SubscriptionRecord&& r) {
    auto it = sessions.find(r.client_id);
    if (it == sessions.end()) {
      return;
    }
    Session& s = *it->second;
    const SubscriptionOptions options{r.options.qos, r.options.no_local,
                                      r.options.retain_as_published, r.options.retain_handling,
                                      r.subscription_id};
    const FilterParts parts = split_filter(r.filter);
    std::uint32_t shard = directory_[r.client_id].shard;
    if (trie_.subscribe(parts.plain, parts.group, {shard, s.id}, options)) {
      count_filter(parts.plain, s.id, 1);  // as Broker::subscribe does
    }
    s.subscriptions.put(r.filter, options);
    ++counts.subscriptions;
  };
  v.retained = [&](mqtt::MessagePtr&& m) {
    retained_.set(std::move(m));
    ++counts.retained;
  };
  v.message = [&](storage::MessageRecord&& m) {
    auto body = std::make_shared<Message>(*m.message);
    body->store_id = m.id;  // acknowledgements must find the stored rows again
    bodies[m.id] = std::move(body);
  };
  v.queued = [&](storage::QueuedRecord&& q) {
    auto session = sessions.find(q.client_id);
    auto body = bodies.find(q.message);
    if (session == sessions.end() || body == bodies.end()) {
      store->dequeue(q.client_id, q.message);  // left behind by a session that ended
      ++counts.orphans;
      return;
    }
    mqtt::Outgoing item{body->second, q.qos,     q.retain, std::move(q.subscription_ids),
                        q.packet_id,  q.released};
    auto& state = session->second->state;
    if (q.packet_id != 0) {
      state.inflight.push_back(std::move(item));  // resent with DUP on reconnect
    } else {
      state.queued_bytes += item.message->payload_size();
      state.queue.push_back(std::move(item));
    }
    ++counts.queued;
  };
  v.inbound_qos2 = [&](const std::string& client_id, std::uint16_t packet_id) {
    auto it = sessions.find(client_id);
    if (it != sessions.end()) {
      it->second->state.inbound_qos2.insert(packet_id);
    }
  };
  v.topic = [&](storage::TopicRecord&& t) {
    auto it = sessions.find(t.client_id);
    if (it != sessions.end()) {
      it->second->state.sn_topic_ids.restore(t.topic_id, t.topic);
    }
  };
  persistence_.continue_after(store->restore(v));
  for (auto& shard : shards_) {
    shard->start_restored(wall_seconds());
  }
  spdlog::info("restored {} sessions, {} subscriptions, {} retained, {} queued messages{}",
               counts.sessions, counts.subscriptions, counts.retained, counts.queued,
               counts.orphans ? fmt::format(" ({} orphan rows dropped)", counts.orphans) : "");
}

Session& Shard::restore_session(const std::string& client_id, std::uint64_t id) {
  Session& s = create_session(client_id, id);
  s.stored = true;
  return s;
}

/// Downtime counts against session expiry; a session whose client was connected when
/// the broker stopped lost its connection without DISCONNECT, so its will applies.
void Shard::start_restored(std::int64_t now_wall) {
  std::vector<std::uint64_t> expired;
  for (auto& [id, session] : sessions_) {
    Session& s = *session;
    std::int64_t offline_since = s.disconnected_at != 0 ? s.disconnected_at : now_wall;
    if (s.expiry_interval != never_expires &&
        now_wall - offline_since >= static_cast<std::int64_t>(s.expiry_interval)) {
      expired.push_back(id);
      continue;
    }
    std::uint32_t left =
        s.expiry_interval == never_expires
            ? never_expires
            : static_cast<std::uint32_t>(s.expiry_interval - (now_wall - offline_since));
    std::uint32_t full = s.expiry_interval;
    s.expiry_interval = left;
    detach(s, false);  // starts the will and expiry countdowns
    s.expiry_interval = full;
  }
  for (std::uint64_t id : expired) {
    auto it = sessions_.find(id);
    if (it != sessions_.end()) {
      end_session(*it->second);
    }
  }
}

}  // namespace ferry::broker
