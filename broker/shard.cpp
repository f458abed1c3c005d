// Shard lifecycle, connections and sessions: CONNECT, takeover, will, expiry, close.
#include "broker/shard.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "broker/broker.hpp"
#include "broker/client.hpp"

namespace ferry::broker {

Shard::Shard(Broker& broker, std::uint32_t index)
    : broker_(broker), index_(index), egress_(transports::egress::make_asio_egress()) {}

Shard::~Shard() {
  join();
  clients_.clear();  // before sessions: a client may point at one
  sessions_.clear();
}

void Shard::start_thread() {
  thread_ = std::thread([this] { loop_.run(); });
}

void Shard::join() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

void Shard::adopt(std::unique_ptr<transports::Link> link,
                  std::shared_ptr<std::atomic<std::uint32_t>> slots) {
  Metrics::add(broker_.metrics().connections_accepted);
  auto client = std::make_unique<Client>(*this, std::move(link), broker_.options().limits);
  client->listener_slots = std::move(slots);
  Client* raw = client.get();
  static std::atomic<std::uint64_t> serials{0};
  raw->serial = serials.fetch_add(1) + 1;
  clients_.emplace(raw, std::move(client));
  Metrics::add(broker_.metrics().connections_current);
  raw->start();
}

void Shard::on_packet(Client& client, mqtt::Packet&& packet) {
  switch (mqtt::type_of(packet)) {
    case mqtt::PacketType::connect:
      handle_connect(client, std::get<mqtt::Connect>(std::move(packet)));
      return;
    case mqtt::PacketType::publish:
      handle_publish(client, std::get<mqtt::Publish>(std::move(packet)));
      return;
    case mqtt::PacketType::subscribe:
      handle_subscribe(client, std::get<mqtt::Subscribe>(std::move(packet)));
      return;
    case mqtt::PacketType::unsubscribe:
      handle_unsubscribe(client, std::get<mqtt::Unsubscribe>(std::move(packet)));
      return;
    case mqtt::PacketType::disconnect:
      handle_disconnect(client, std::get<mqtt::Disconnect>(packet));
      return;
    default:  // AUTH: enhanced authentication is not offered [MQTT-4.12]
      client.disconnect(mqtt::Reason::protocol_error);
      return;
  }
}

void Shard::handle_connect(Client& client, mqtt::Connect&& connect) {
  const BrokerOptions& options = broker_.options();
  if (!options.allow_anonymous && !connect.username) {
    client.refuse(mqtt::Reason::not_authorized);
    return;
  }
  if (broker_.metrics().connections_current.load() > options.max_connections) {
    client.refuse(mqtt::Reason::server_busy);
    return;
  }
  mqtt::Properties props;
  if (!assign_client_id(client, connect, props)) {
    return;
  }
  SessionLocation proposed{index_, broker_.new_session_id(), false};
  bool inserted = false;
  SessionLocation found = broker_.claim_session(client.client_id, proposed, inserted);
  if (inserted) {
    Session& session = create_session(client.client_id, proposed.session);
    attach(client, session, false, std::move(connect), std::move(props));
    return;
  }
  if (found.moving) {
    client.refuse(mqtt::Reason::server_busy);  // a takeover of this id is under way
    return;
  }
  if (found.shard == index_) {
    take_over_local(client, *sessions_.at(found.session), std::move(connect), std::move(props));
    return;
  }
  take_over_remote(client, found.shard, found.session, std::move(connect), std::move(props));
}

bool Shard::assign_client_id(Client& client, mqtt::Connect& connect, mqtt::Properties& props) {
  if (!connect.client_id.empty()) {
    client.client_id = connect.client_id;
    return true;
  }
  if (!connect.clean_start && connect.version != mqtt::Version::v5) {
    client.refuse(mqtt::Reason::client_identifier_not_valid);  // [MQTT-3.1.3-8]
    return false;
  }
  client.client_id = fmt::format("ferry-{:016x}", broker_.new_session_id() * 0x9E3779B97F4A7C15ULL);
  if (connect.version == mqtt::Version::v5) {
    props.assigned_client_identifier = client.client_id;  // [MQTT-3.2.2-16]
  }
  return true;
}

Session& Shard::create_session(const std::string& client_id, std::uint64_t id) {
  auto session = std::make_unique<Session>();
  session->client_id = client_id;
  session->id = id;
  Session& ref = *session;
  sessions_[id] = std::move(session);
  return ref;
}

void Shard::take_over_local(Client& client, Session& session, mqtt::Connect&& connect,
                            mqtt::Properties&& props) {
  if (Client* old = session.client) {
    detach(session, false);
    old->disconnect(mqtt::Reason::session_taken_over);  // [MQTT-3.1.4-3]
  }
  bool present = !connect.clean_start;
  if (connect.clean_start) {
    std::string id = session.client_id;
    end_session(session);  // [MQTT-3.1.2-4]
    SessionLocation location{index_, broker_.new_session_id(), false};
    broker_.set_session(id, location);
    Session& fresh = create_session(id, location.session);
    attach(client, fresh, false, std::move(connect), std::move(props));
    return;
  }
  attach(client, session, present, std::move(connect), std::move(props));
}

void Shard::take_over_remote(Client& client, std::uint32_t from, std::uint64_t session_id,
                             mqtt::Connect&& connect, mqtt::Properties&& props) {
  auto request = std::make_shared<std::pair<mqtt::Connect, mqtt::Properties>>(
      std::move(connect), std::move(props));
  std::uint64_t serial = client.serial;
  Client* waiting = &client;
  broker_.shard(from).loop().post([this, from, session_id, serial, waiting, request] {
    broker_.shard(from).release_session(
        session_id, [this, serial, waiting, request](std::unique_ptr<Session> session) {
          auto moved = std::make_shared<std::unique_ptr<Session>>(std::move(session));
          loop_.post([this, serial, waiting, request, moved] {
            receive_session(serial, waiting, std::move(*moved), std::move(request->first),
                            std::move(request->second));
          });
        });
  });
}

void Shard::release_session(std::uint64_t id,
                            std::function<void(std::unique_ptr<Session>)> to) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) {
    to(nullptr);
    return;
  }
  Session& session = *it->second;
  if (Client* old = session.client) {
    detach(session, false);
    old->disconnect(mqtt::Reason::session_taken_over);
  }
  broker_.unsubscribe_all({index_, id});
  session.expiry_timer.reset();
  session.will_timer.reset();
  std::unique_ptr<Session> moving = std::move(it->second);
  sessions_.erase(it);
  to(std::move(moving));
}

void Shard::receive_session(std::uint64_t serial, Client* waiting,
                            std::unique_ptr<Session> session, mqtt::Connect&& connect,
                            mqtt::Properties&& props) {
  auto it = clients_.find(waiting);
  bool client_alive = it != clients_.end() && waiting->serial == serial;
  std::string client_id = session ? session->client_id : (client_alive ? waiting->client_id : "");
  if (!session || connect.clean_start) {
    if (session) {
      publish_will(*session);  // the old session ends here [MQTT-3.1.3-9]
    }
    session = std::make_unique<Session>();
    session->client_id = client_id;
    session->id = broker_.new_session_id();
  }
  Session& ref = *session;
  sessions_[ref.id] = std::move(session);
  broker_.set_session(ref.client_id, {index_, ref.id, false});
  resubscribe(ref);
  if (!client_alive) {
    detach(ref, true);  // the new client left while we waited; keep or end the session
    return;
  }
  bool present = !connect.clean_start;
  attach(*waiting, ref, present, std::move(connect), std::move(props));
}

void Shard::resubscribe(Session& session) {
  for (const auto& [key, sub] : session.subscriptions) {
    broker_.subscribe(sub.filter, sub.group, {index_, session.id}, sub.options);
  }
}

}  // namespace ferry::broker
