// Session takeover: a client id connects again while its session exists [MQTT-3.1.4-3].
// The session lives on one shard; when the new connection landed on another, the session
// travels to it by message, never by a lock on the other shard.
#include "broker/broker.hpp"
#include "broker/client.hpp"
#include "broker/shard.hpp"

namespace ferry::broker {

/// Separates the session from its current connection, which gets DISCONNECT 0x8E. The
/// old connection ended without DISCONNECT, so a will without delay goes out now; a
/// delayed one is cancelled by the new connection or published when the session ends.
void Shard::take_from_client(Session& session) {
  Client* old = session.client;
  if (!old) {
    return;
  }
  old->detach_state();
  old->session = nullptr;
  session.client = nullptr;
  if (session.will && session.will_delay == 0) {
    publish_will(session);
  }
  old->disconnect(mqtt::Reason::session_taken_over);
}

/// A session continues only if the client asks to and it outlives connections: a 3.x
/// clean session or a v5 session with expiry 0 ended with its connection [MQTT-3.1.2-6].
bool Shard::resumable(const Session& session, const mqtt::Connect& connect) {
  return !connect.clean_start && session.expiry_interval != 0;
}

void Shard::take_over_local(Client& client, Session& session, mqtt::Connect&& connect,
                            mqtt::Properties&& props) {
  take_from_client(session);
  if (resumable(session, connect)) {
    attach(client, session, true, std::move(connect), std::move(props));
    return;
  }
  std::string client_id = session.client_id;
  end_session(session);  // [MQTT-3.1.2-4]
  SessionLocation location{.shard = index_, .session = broker_.new_session_id()};
  broker_.set_session(client_id, location);
  attach(client, create_session(client_id, location.session), false, std::move(connect),
         std::move(props));
}

void Shard::take_over_remote(Client& client, std::uint32_t from, std::uint64_t session_id,
                             mqtt::Connect&& connect, mqtt::Properties&& props) {
  auto request = std::make_shared<TakeoverRequest>(
      TakeoverRequest{client.serial, from, &client, client.client_id(), session_id,
                      std::move(connect), std::move(props)});
  Shard& owner = broker_.shard(from);
  std::uint32_t to = index_;
  owner.loop().post([this, &owner, request, to] {
    auto moved = std::make_shared<MovingSession>(owner.release_session(request->session, to));
    loop_.post([this, request, moved] { receive_session(*request, std::move(*moved)); });
  });
}

/// The subscriptions stay in the trie under this shard until the new shard re-keys them;
/// what is matched meanwhile is forwarded (see deliver).
Shard::MovingSession Shard::release_session(std::uint64_t id, std::uint32_t to) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    return {};
  }
  take_from_client(*it->second);
  note_moved(id, to);
  it->second->expiry_timer.reset();
  MovingSession moving{std::move(it->second), take_committing(id)};
  sessions_.erase(it);
  return moving;
}

void Shard::receive_session(TakeoverRequest& request, MovingSession arriving) {
  bool client_alive = live_client(request.client, request.serial) != nullptr;
  const std::string& client_id = request.client_id;
  Session* session = nullptr;
  if (arriving.session) {
    Session& s = *arriving.session;
    sessions_[s.id] = std::move(arriving.session);
    for (std::uint16_t id : arriving.committing_qos2) {
      start_committing(s, id);  // a resend arriving here waits for the commit there
    }
    broker_.set_session(client_id, {.shard = index_, .session = s.id});
    broker_.move_subscriptions(s, request.from, index_);
    session = &s;
    if (!client_alive) {
      detach(s, false);  // the new client left while we waited: keep or end the session
      return;
    }
    if (!resumable(s, request.connect)) {
      end_session(s);
      session = nullptr;
    }
  } else {
    broker_.erase_session(client_id, request.session);  // clears the "moving" mark
  }
  if (!client_alive) {
    return;
  }
  bool present = session != nullptr;
  if (!session) {
    SessionLocation location{.shard = index_, .session = broker_.new_session_id()};
    broker_.set_session(client_id, location);
    session = &create_session(client_id, location.session);
  }
  attach(*request.client, *session, present, std::move(request.connect), std::move(request.props));
}

void Shard::note_moved(std::uint64_t session, std::uint32_t to) {
  auto now = Clock::now();
  std::erase_if(moved_, [&](const auto& entry) {
    return now - entry.second.at > std::chrono::seconds(10);  // long past any in-flight match
  });
  moved_[session] = {to, now};
}

}  // namespace ferry::broker
