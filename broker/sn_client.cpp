#include "broker/sn_client.hpp"

#include <iterator>

#include "broker/shard.hpp"
#include "broker/sn_gateway.hpp"

namespace ferry::broker {

SnClient::SnClient(SnGateway& gateway, transports::DatagramPeer peer,
                   std::optional<sn::Forwarder> via)
    : WheelTimers(gateway.shard().wheel()),
      gateway_(gateway),
      peer_(peer),
      session_(gateway.context(), std::move(via)) {}

Shard& SnClient::shard() {
  return gateway_.shard();
}

transports::LinkInfo SnClient::link_info() const {
  return {transports::LinkInfo::Kind::datagram, "mqttsn", peer_.to_string(), -1};
}

std::string_view SnClient::node_id() const {
  return session_.via() ? std::string_view(session_.via()->node_id) : std::string_view();
}

sn::Actions& SnClient::actions() {
  if (!actions_) {
    actions_ = gateway_.lend_actions();
  }
  return *actions_;
}

void SnClient::start() {
  session_.start(actions());
  after_actions();
}

void SnClient::on_datagram(std::span<const std::uint8_t> datagram) {
  session_.on_datagram(datagram, actions());
  after_actions();
}

void SnClient::accept(Session& s, bool session_present, mqtt::Properties) {
  session = &s;
  cancel(static_cast<std::uint8_t>(sn::TimerKind::connect));  // done with it
  session_.accept(s.state, session_present, shard().now(), actions());
  after_actions();
}

void SnClient::accept_state(mqtt::SessionState& state) {
  cancel(static_cast<std::uint8_t>(sn::TimerKind::connect));
  session_.accept(state, false, shard().now(), actions());
  after_actions();
}

void SnClient::on_sn_packet(mqtt::Packet&& packet) {
  shard().on_packet(*this, std::move(packet));
}

void SnClient::on_will_update(const sn::WillUpdate& update) {
  shard().update_will(*this, update);
}

void SnClient::refuse(mqtt::Reason reason) {
  session_.refuse(reason, actions());
  after_actions();
}

void SnClient::send(const mqtt::Packet& packet) {
  session_.send(packet, actions());
  after_actions();
}

mqtt::Offer SnClient::publish(mqtt::Outgoing item) {
  mqtt::Offer offer = session_.publish(std::move(item), shard().now(), actions());
  after_actions();
  return offer;
}

void SnClient::disconnect(mqtt::Reason reason) {
  session_.disconnect(reason, actions());
  after_actions();
}

/// Carries out what the session asked for. A call made while handling (the shard
/// answering at once) adds to the same Actions, which this loop then reaches.
void SnClient::after_actions() {
  if (handling_ || !actions_) {
    return;
  }
  if (closed_) {  // a closed client's session has nothing more to say
    gateway_.give_back(std::move(actions_));
    return;
  }
  handling_ = true;
  for (std::size_t i = 0; i < actions_->events.size() && !closed_; ++i) {
    sn::Event event = std::move(actions_->events[i]);
    handle(event);
  }
  if (output_holds_ > 0) {
    if (!held_) {
      held_ = std::make_unique<std::vector<std::string>>();
    }
    std::move(actions_->datagrams.begin(), actions_->datagrams.end(), std::back_inserter(*held_));
  } else {
    for (const auto& datagram : actions_->datagrams) {
      gateway_.send(datagram, peer_);
    }
  }
  handling_ = false;
  gateway_.give_back(std::move(actions_));
  if (closed_) {
    gateway_.forget(*this);
    shard().client_closed(*this, {});  // may destroy this client later in the loop turn
  }
}

void SnClient::output_released() {
  if (!held_) {
    return;
  }
  for (const auto& datagram : *held_) {
    gateway_.send(datagram, peer_);
  }
  held_.reset();
}

void SnClient::handle(sn::Event& event) {
  if (auto* deliver = std::get_if<mqtt::Deliver>(&event)) {
    on_sn_packet(std::move(deliver->packet));
  } else if (auto* will = std::get_if<sn::UpdateWill>(&event)) {
    on_will_update(will->update);
  } else if (auto* topic = std::get_if<sn::TopicIdChanged>(&event)) {
    shard().topic_id_changed(*this, *topic);
  } else if (auto* change = std::get_if<mqtt::OutboundChanged>(&event)) {
    shard().outbound_changed(*this, *change);  // may hold the output until it is durable
  } else if (auto* released = std::get_if<mqtt::InboundReleased>(&event)) {
    shard().inbound_released(*this, released->packet_id);
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
  session_.on_timer(static_cast<sn::TimerKind>(kind), actions());
  after_actions();
}

}  // namespace ferry::broker
