#include "broker/sn_client.hpp"

#include <iterator>

#include "broker/shard.hpp"
#include "broker/sn_gateway.hpp"

namespace ferry::broker {

SnClient::SnClient(Shard& shard, SnGateway& gateway, transports::DatagramPeer peer,
                   std::optional<sn::Forwarder> via, const sn::GatewayLimits& limits,
                   std::shared_ptr<const sn::PredefinedTopics> predefined)
    : WheelTimers(shard.wheel()),
      shard_(shard),
      gateway_(gateway),
      peer_(peer),
      info_{transports::LinkInfo::Kind::datagram, "mqttsn", peer.to_string(), -1},
      session_(limits, std::move(predefined), std::move(via)) {}

void SnClient::start() {
  session_.start(actions_);
  after_actions();
}

void SnClient::on_datagram(std::span<const std::uint8_t> datagram) {
  session_.on_datagram(datagram, actions_);
  after_actions();
}

void SnClient::accept(Session& s, bool session_present, mqtt::Properties) {
  session = &s;
  cancel(static_cast<std::uint8_t>(sn::TimerKind::connect));  // done with it
  session_.accept(s.state, session_present, shard_.now(), actions_);
  after_actions();
}

void SnClient::accept_state(mqtt::SessionState& state) {
  cancel(static_cast<std::uint8_t>(sn::TimerKind::connect));
  session_.accept(state, false, shard_.now(), actions_);
  after_actions();
}

void SnClient::on_sn_packet(mqtt::Packet&& packet) {
  shard_.on_packet(*this, std::move(packet));
}

void SnClient::on_will_update(const sn::WillUpdate& update) {
  shard_.update_will(*this, update);
}

void SnClient::refuse(mqtt::Reason reason) {
  session_.refuse(reason, actions_);
  after_actions();
}

void SnClient::send(const mqtt::Packet& packet) {
  session_.send(packet, actions_);
  after_actions();
}

mqtt::Offer SnClient::publish(mqtt::Outgoing item) {
  mqtt::Offer offer = session_.publish(std::move(item), shard_.now(), actions_);
  after_actions();
  return offer;
}

void SnClient::disconnect(mqtt::Reason reason) {
  session_.disconnect(reason, actions_);
  after_actions();
}

void SnClient::after_actions() {
  if (handling_ || closed_) {
    return;
  }
  handling_ = true;
  for (std::size_t i = 0; i < actions_.events.size() && !closed_; ++i) {
    sn::Event event = std::move(actions_.events[i]);
    handle(event);
  }
  std::vector<sn::Event>().swap(actions_.events);  // see StreamClient::after_actions
  if (output_holds_ > 0) {
    std::move(actions_.datagrams.begin(), actions_.datagrams.end(), std::back_inserter(held_));
  } else {
    for (const auto& datagram : actions_.datagrams) {
      gateway_.send(datagram, peer_);
    }
  }
  actions_.datagrams.clear();
  handling_ = false;
  if (closed_) {
    gateway_.forget(peer_, session_.via() ? session_.via()->node_id : std::string());
    shard_.client_closed(*this, {});  // may destroy this client later in the loop turn
  }
}

void SnClient::output_released() {
  for (const auto& datagram : held_) {
    gateway_.send(datagram, peer_);
  }
  held_.clear();
}

void SnClient::handle(sn::Event& event) {
  if (auto* deliver = std::get_if<mqtt::Deliver>(&event)) {
    if (auto* connect = std::get_if<mqtt::Connect>(&deliver->packet)) {
      client_id = connect->client_id;
    }
    on_sn_packet(std::move(deliver->packet));
  } else if (auto* will = std::get_if<sn::UpdateWill>(&event)) {
    on_will_update(will->update);
  } else if (auto* topic = std::get_if<sn::TopicIdChanged>(&event)) {
    shard_.topic_id_changed(*this, *topic);
  } else if (auto* change = std::get_if<mqtt::OutboundChanged>(&event)) {
    shard_.outbound_changed(*this, *change);  // may hold the output until it is durable
  } else if (auto* released = std::get_if<mqtt::InboundReleased>(&event)) {
    shard_.inbound_released(*this, released->packet_id);
  } else if (auto* timer = std::get_if<sn::StartTimer>(&event)) {
    arm(static_cast<std::uint8_t>(timer->kind), timer->ms);
  } else if (auto* close = std::get_if<mqtt::Close>(&event)) {
    close_reason = close->reason;
    cancel_all();  // before the client may outlive its shard's wheel in a posted task
    closed_ = true;
    on_sn_closed();
  }
}

void SnClient::on_wheel_timer(std::uint8_t kind) {
  session_.on_timer(static_cast<sn::TimerKind>(kind), actions_);
  after_actions();
}

}  // namespace ferry::broker
