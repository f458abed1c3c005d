// Session attach/detach, wills, expiry, connection close and output flushing.
#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "broker/broker.hpp"
#include "broker/client.hpp"
#include "broker/shard.hpp"

namespace ferry::broker {
namespace {

const char* version_name(mqtt::Version v) {
  switch (v) {
    case mqtt::Version::v3_1:
      return "3.1";
    case mqtt::Version::v3_1_1:
      return "3.1.1";
    default:
      return "5.0";
  }
}

std::uint32_t expiry_of(const mqtt::Connect& connect, std::uint32_t max_expiry) {
  if (connect.version != mqtt::Version::v5) {
    return connect.clean_start ? 0 : never_expires;  // 3.x: clean session or forever
  }
  return std::min(connect.properties.session_expiry_interval.value_or(0), max_expiry);
}

}  // namespace

void Shard::attach(Client& client, Session& session, bool present, mqtt::Connect&& connect,
                   mqtt::Properties&& props) {
  session.client = &client;
  session.version = connect.version;
  session.expiry_timer.reset();  // reconnected: the session no longer counts down
  session.will_timer.reset();    // a will still waiting for its delay is dropped [MQTT-3.1.3-9]
  session.will = connect.will ? std::make_unique<mqtt::Will>(std::move(*connect.will)) : nullptr;
  session.will_delay = session.will ? session.will->properties.will_delay_interval.value_or(0) : 0;
  session.expiry_interval = expiry_of(connect, broker_.options().max_session_expiry);
  if (connect.version == mqtt::Version::v5 &&
      connect.properties.session_expiry_interval.value_or(0) != session.expiry_interval) {
    props.session_expiry_interval = session.expiry_interval;  // lowered by the server
  }
  client.session = &session;
  persist_attached(session);
  spdlog::info("connect client={} peer={} transport={} version={} clean={} keepalive={} present={}",
               client.client_id(), client.link_info().peer, client.link_info().transport,
               version_name(connect.version), connect.clean_start, client.keep_alive(), present);
  client.accept(session, present, std::move(props));
}

void Shard::persist_attached(Session& session) {
  Persistence& persistence = broker_.persistence();
  bool persistent = Persistence::persistent(session);
  broker_.set_session_info(session.id, {session.client_id, persistent});
  if (persistent) {
    persistence.save_session(session, true);
    if (!session.stored) {
      persistence.save_subscriptions(session);
    }
    session.stored = true;
  } else if (session.stored) {
    persistence.erase_session(session.client_id);
    session.stored = false;
  }
}

void Shard::detach(Session& session, bool graceful) {
  if (Client* client = session.client) {
    client->detach_state();
    client->session = nullptr;
  }
  session.client = nullptr;
  if (graceful) {
    session.will.reset();  // normal DISCONNECT discards the will [MQTT-3.14.4-3]
  } else if (session.will && session.will_delay == 0) {
    publish_will(session);
  } else if (session.will) {
    session.will_timer = std::make_unique<transports::Timer>(loop_);
    std::uint64_t id = session.id;
    session.will_timer->start(session.will_delay * 1000u, [this, id] {
      auto it = sessions_.find(id);
      if (it != sessions_.end()) {
        publish_will(*it->second);
      }
    });
  }
  if (session.expiry_interval == 0) {
    end_session(session);
    return;
  }
  broker_.set_session_info(session.id, {session.client_id, true});
  broker_.persistence().save_session(session, false);
  session.stored = session.stored || broker_.persistence().enabled();
  if (session.expiry_interval != never_expires) {
    session.expiry_timer = std::make_unique<transports::Timer>(loop_);
    std::uint64_t id = session.id;
    std::uint64_t ms = std::min<std::uint64_t>(session.expiry_interval * 1000ull, 0xFFFFFFFFull);
    session.expiry_timer->start(static_cast<std::uint32_t>(ms), [this, id] {
      auto it = sessions_.find(id);
      if (it != sessions_.end() && !it->second->online()) {
        end_session(*it->second);
      }
    });
  }
}

void Shard::end_session(Session& session) {
  publish_will(session);  // a will still delayed goes out when the session ends
  broker_.unsubscribe_all(session, index_);
  broker_.erase_session(session.client_id, session.id);
  if (session.stored) {
    broker_.persistence().erase_session(session.client_id);
  }
  if (Client* client = session.client) {
    client->detach_state();
    client->session = nullptr;
  }
  sessions_.erase(session.id);  // destroys `session`
}

void Shard::publish_will(Session& session) {
  session.will_timer.reset();
  if (!session.will) {
    return;
  }
  mqtt::Will will = std::move(*session.will);
  session.will.reset();
  // The same path as a PUBLISH, so a QoS 1/2 will is stored for persistent subscribers.
  mqtt::Publish publish;
  publish.topic = std::move(will.topic);
  publish.payload = std::make_shared<const mqtt::Bytes>(std::move(will.payload));
  publish.qos = will.qos;
  publish.retain = will.retain;
  publish.properties = std::move(will.properties);
  publish.properties.will_delay_interval.reset();
  broker_.route(make_message(session, std::move(publish)), index_);
}

void Shard::client_closed(Client& client, std::error_code error) {
  log_close(client, error);
  if (Session* session = client.session) {
    bool graceful =
        client.client_disconnect && *client.client_disconnect != mqtt::Reason::disconnect_with_will;
    detach(*session, graceful);
  }
  Metrics::add(broker_.metrics().connections_current, static_cast<std::uint64_t>(-1));
  std::erase(dirty_, &client);
  auto it = clients_.find(&client);
  if (it != clients_.end()) {
    auto doomed = std::make_shared<std::unique_ptr<Client>>(std::move(it->second));
    clients_.erase(it);
    loop_.post([doomed] {});  // destroyed after the link's callback has returned
  }
}

void Shard::log_close(Client& client, std::error_code error) {
  const char* how = client.client_disconnect ? "client" : "server";
  if (!client.client_disconnect && client.close_reason == mqtt::Reason::success) {
    how = "network";
  }
  spdlog::info("disconnect client={} peer={} by={} reason=0x{:02x} error={}",
               client.client_id().empty() ? "-" : client.client_id(), client.link_info().peer, how,
               static_cast<unsigned>(client.close_reason), error ? error.message() : "none");
}

void Shard::disconnect_all(mqtt::Reason reason) {
  // A client may close at once (MQTT-SN, the gateway bridge) and leave clients_ while
  // this runs: walk a copy.
  std::vector<Client*> all;
  all.reserve(clients_.size());
  for (auto& [raw, client] : clients_) {
    all.push_back(raw);
  }
  for (Client* client : all) {
    if (clients_.contains(client)) {
      client->disconnect(reason);
    }
  }
}

void Shard::schedule_flush(Client& client) {
  client.flush_scheduled = true;
  dirty_.push_back(&client);
  if (!flush_posted_) {
    flush_posted_ = true;
    loop_.post([this] { flush_dirty(); });
  }
}

void Shard::flush_dirty() {
  flush_posted_ = false;
  std::vector<Client*> dirty;
  dirty.swap(dirty_);
  write_batch_.clear();
  for (Client* client : dirty) {
    client->flush(write_batch_);
  }
  egress_->submit(write_batch_);
  write_batch_.clear();
}

}  // namespace ferry::broker
