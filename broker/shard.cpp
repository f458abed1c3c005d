// Shard lifecycle, connections and sessions: CONNECT, takeover, will, expiry, close.
#include "broker/shard.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "broker/broker.hpp"
#include "broker/stream_client.hpp"

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
  auto client = std::make_unique<StreamClient>(*this, std::move(link), broker_.options().limits);
  client->listener_slots = std::move(slots);
  StreamClient& stream = *client;
  add_client(std::move(client));
  stream.start();
}

void Shard::add_client(std::unique_ptr<Client> client) {
  static std::atomic<std::uint64_t> serials{0};
  client->serial = serials.fetch_add(1) + 1;
  Client* raw = client.get();
  clients_.emplace(raw, std::move(client));
  Metrics::add(broker_.metrics().connections_current);
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
  SessionLocation proposed{.shard = index_, .session = broker_.new_session_id()};
  bool inserted = false;
  SessionLocation found = broker_.claim_session(client.client_id(), proposed, inserted);
  if (inserted) {
    Session& session = create_session(client.client_id(), proposed.session);
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
    client.set_client_id(connect.client_id);
    return true;
  }
  if (!connect.clean_start && connect.version != mqtt::Version::v5) {
    client.refuse(mqtt::Reason::client_identifier_not_valid);  // [MQTT-3.1.3-8]
    return false;
  }
  client.set_client_id(
      fmt::format("ferry-{:016x}", broker_.new_session_id() * 0x9E3779B97F4A7C15ULL));
  if (connect.version == mqtt::Version::v5) {
    props.assigned_client_identifier = client.client_id();  // [MQTT-3.2.2-16]
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

Client* Shard::live_client(Client* client, std::uint64_t serial) const {
  return clients_.contains(client) && client->serial == serial ? client : nullptr;
}

}  // namespace ferry::broker
