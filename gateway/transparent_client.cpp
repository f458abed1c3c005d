#include "gateway/transparent_client.hpp"

#include <spdlog/spdlog.h>

#include "broker/shard.hpp"
#include "gateway/translate.hpp"

namespace ferry::gateway {
namespace {

// Upstream tags: what the acknowledgement answers on the MQTT-SN side.
constexpr std::uint64_t k_unsubscribe = 1ull << 32;

std::uint64_t publish_tag(std::uint8_t qos, std::uint16_t packet_id) {
  return (std::uint64_t{qos} << 16) | packet_id;
}

}  // namespace

TransparentClient::TransparentClient(broker::SnGateway& gateway, transports::DatagramPeer peer,
                                     std::optional<sn::Forwarder> via,
                                     std::shared_ptr<const UpstreamSettings> settings)
    : SnClient(gateway, peer, std::move(via)), settings_(std::move(settings)) {}

TransparentClient::~TransparentClient() = default;

void TransparentClient::on_sn_packet(mqtt::Packet&& packet) {
  switch (mqtt::type_of(packet)) {
    case mqtt::PacketType::connect:
      return open_upstream(std::get<mqtt::Connect>(std::move(packet)));
    case mqtt::PacketType::publish:
      return publish_upstream(std::get<mqtt::Publish>(std::move(packet)));
    case mqtt::PacketType::subscribe:
      return subscribe_upstream(std::get<mqtt::Subscribe>(std::move(packet)));
    case mqtt::PacketType::unsubscribe:
      return unsubscribe_upstream(std::get<mqtt::Unsubscribe>(std::move(packet)));
    case mqtt::PacketType::disconnect:
      left_normally_ = true;  // the upstream session ends without its will
      if (upstream_) {
        upstream_->stop();
      }
      return;
    default:
      return;
  }
}

void TransparentClient::open_upstream(mqtt::Connect&& connect) {
  if (upstream_ && accepted_) {
    accept_state(state_);  // CONNECT again on a live client: answer from here
    return;
  }
  mqtt::ClientOptions options;
  options.version = settings_->version;
  options.client_id = connect.client_id;
  options.keep_alive = settings_->keep_alive;
  options.clean_start = connect.clean_start;
  options.resume = !connect.clean_start;
  options.session_expiry = connect.clean_start ? 0 : settings_->session_expiry;
  options.will = std::move(connect.will);
  options.username = settings_->username;
  options.password = settings_->password;
  options.max_buffered = settings_->max_buffered;
  upstream_ = std::make_unique<Upstream>(shard().loop(), settings_->address, settings_->backoff,
                                         std::move(options), *this);
  upstream_->start();
}

void TransparentClient::publish_upstream(mqtt::Publish&& publish) {
  if (!upstream_) {
    return;
  }
  std::uint8_t qos = publish.qos;
  std::uint16_t id = publish.packet_id;
  std::uint64_t tag = publish_tag(qos, id);
  if (qos > 0 && !forwarding_.insert(tag).second) {
    return;  // the sensor's retransmission of one on its way: its ack answers both
  }
  if (upstream_->publish(std::move(publish), tag) || qos == 0) {
    return;  // QoS 0 while upstream is away is dropped, as on any lossy hop
  }
  forwarding_.erase(tag);
  // The buffer is full: refused, so the sensor keeps it and tries again later.
  if (qos == 1) {
    send(mqtt::Puback{{id, mqtt::Reason::quota_exceeded, {}}});
  } else {
    send(mqtt::Pubrec{{id, mqtt::Reason::quota_exceeded, {}}});
  }
}

void TransparentClient::subscribe_upstream(mqtt::Subscribe&& subscribe) {
  std::uint16_t id = subscribe.packet_id;
  if (upstream_ && upstream_->subscribe(subscribe.topics, id)) {
    pending_subscribes_[id] = std::move(subscribe.topics);
    return;
  }
  std::vector<mqtt::Reason> refused(subscribe.topics.size(), mqtt::Reason::unspecified_error);
  send(mqtt::Suback{id, std::move(refused), {}});  // upstream is away: try again later
}

void TransparentClient::unsubscribe_upstream(mqtt::Unsubscribe&& unsubscribe) {
  for (const auto& filter : unsubscribe.filters) {
    subscriptions_.erase(filter);
  }
  std::uint16_t id = unsubscribe.packet_id;
  std::size_t count = unsubscribe.filters.size();
  if (!upstream_ || !upstream_->unsubscribe(std::move(unsubscribe.filters), k_unsubscribe | id)) {
    send(mqtt::Unsuback{id, std::vector<mqtt::Reason>(count, mqtt::Reason::success), {}});
  }
}

void TransparentClient::on_will_update(const sn::WillUpdate&) {
  // MQTT has no way to change a will on a live connection; the upstream keeps the will
  // of the CONNECT. Said in the README; the client still gets its WILL*RESP.
  spdlog::info("gateway: will update of {} not carried upstream (transparent mode)", client_id());
}

void TransparentClient::on_sn_closed() {
  if (upstream_ && !left_normally_) {
    upstream_->abort();  // lost: the upstream broker publishes the will
  }
}

void TransparentClient::on_upstream_connected(bool session_present) {
  if (!accepted_) {
    accepted_ = true;
    accept_state(state_);
    return;
  }
  if (!session_present) {  // a clean or expired session: subscribe again
    std::vector<mqtt::SubscribeTopic> topics;
    for (const auto& [filter, topic] : subscriptions_) {
      topics.push_back(topic);
    }
    if (!topics.empty()) {
      upstream_->subscribe(std::move(topics), 0);
    }
  }
}

void TransparentClient::on_upstream_lost(const mqtt::Failed& why, bool) {
  if (accepted_ && why.reason == mqtt::Reason::session_taken_over) {
    disconnect(why.reason);  // the sensor came back elsewhere (a new address): this one ends
    return;
  }
  if (accepted_) {
    return;  // Upstream reconnects; QoS 1/2 wait in its buffer meanwhile
  }
  // The first connection failed or was refused: the sensor gets CONNACK "rejected:
  // congestion" (or "not supported") and tries again later.
  upstream_->abort();
  refuse(why.reason);
}

void TransparentClient::on_upstream_message(mqtt::Publish&& incoming) {
  std::uint8_t qos = incoming.qos;
  bool retain = incoming.retain;
  publish(mqtt::Outgoing{to_message(std::move(incoming), shard().now()), qos, retain, {}});
}

void TransparentClient::on_upstream_acked(std::uint64_t tag, bool ok) {
  forwarding_.erase(tag);
  auto id = static_cast<std::uint16_t>(tag & 0xFFFF);
  mqtt::Reason reason = ok ? mqtt::Reason::success : mqtt::Reason::quota_exceeded;
  if ((tag >> 16) == 1) {
    send(mqtt::Puback{{id, reason, {}}});
  } else {
    send(mqtt::Pubrec{{id, reason, {}}});
  }
}

void TransparentClient::on_upstream_subscribed(std::uint64_t tag, const mqtt::Suback& suback) {
  auto id = static_cast<std::uint16_t>(tag);
  auto pending = pending_subscribes_.find(id);
  if (pending == pending_subscribes_.end()) {
    return;  // a replay after reconnecting
  }
  for (std::size_t i = 0; i < pending->second.size() && i < suback.reasons.size(); ++i) {
    if (static_cast<std::uint8_t>(suback.reasons[i]) < 0x80) {
      subscriptions_[pending->second[i].filter] = pending->second[i];
    }
  }
  pending_subscribes_.erase(pending);
  send(mqtt::Suback{id, suback.reasons, {}});
}

void TransparentClient::on_upstream_unsubscribed(std::uint64_t tag) {
  auto id = static_cast<std::uint16_t>(tag);
  send(mqtt::Unsuback{id, {mqtt::Reason::success}, {}});
}

}  // namespace ferry::gateway
