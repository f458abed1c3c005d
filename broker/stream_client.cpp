#include "broker/stream_client.hpp"

#include "broker/shard.hpp"

namespace ferry::broker {

StreamClient::StreamClient(Shard& shard, std::unique_ptr<transports::Link> link,
                           const mqtt::ConnectionLimits& limits)
    : WheelTimers(shard.wheel()), shard_(shard), link_(std::move(link)), connection_(limits) {}

void StreamClient::start() {
  link_->start(*this);
  connection_.start(actions_);
  after_actions();
}

void StreamClient::on_data(std::span<const std::uint8_t> bytes) {
  connection_.on_bytes(bytes, actions_);
  after_actions();
}

void StreamClient::on_drained() {
  writing_ = false;
  if (!actions_.bytes.empty()) {
    shard_.schedule_flush(*this);
  } else if (close_after_write_) {
    link_->close();
  } else {
    link_->resume_reading();
  }
}

void StreamClient::on_closed(std::error_code error) {
  if (closed_) {
    return;
  }
  closed_ = true;
  cancel_all();  // before the client may outlive the shard's wheel in a posted task
  // When the broker closed the link, the transport's "cancelled" is not news.
  shard_.client_closed(*this, close_after_write_ ? std::error_code() : error);
}

void StreamClient::accept(Session& s, bool session_present, mqtt::Properties properties) {
  session = &s;
  connection_.accept(s.state, session_present, std::move(properties), shard_.now(), actions_);
  after_actions();
}

void StreamClient::refuse(mqtt::Reason reason) {
  connection_.refuse(reason, actions_);
  after_actions();
}

void StreamClient::send(const mqtt::Packet& packet) {
  connection_.send(packet, actions_);
  after_actions();
}

mqtt::Offer StreamClient::publish(mqtt::Outgoing item) {
  mqtt::Offer offer = connection_.publish(std::move(item), shard_.now(), actions_);
  after_actions();
  return offer;
}

void StreamClient::disconnect(mqtt::Reason reason) {
  connection_.disconnect(reason, actions_);
  after_actions();
}

void StreamClient::output_released() {
  if (!actions_.bytes.empty() && !flush_scheduled) {
    shard_.schedule_flush(*this);
  }
}

void StreamClient::after_actions() {
  if (handling_) {
    return;  // the outer call handles whatever was appended
  }
  handling_ = true;
  for (std::size_t i = 0; i < actions_.events.size(); ++i) {
    mqtt::Event event = std::move(actions_.events[i]);
    handle(event);
  }
  // An Event can hold a whole CONNECT (about a kilobyte): an idle connection keeps no
  // event storage (its memory is a benchmark target), at one allocation per busy turn.
  std::vector<mqtt::Event>().swap(actions_.events);
  handling_ = false;
  if ((!actions_.bytes.empty() || close_after_write_) && !flush_scheduled) {
    shard_.schedule_flush(*this);
  }
}

void StreamClient::handle(mqtt::Event& event) {
  if (auto* deliver = std::get_if<mqtt::Deliver>(&event)) {
    shard_.on_packet(*this, std::move(deliver->packet));
  } else if (auto* timer = std::get_if<mqtt::StartTimer>(&event)) {
    start_timer(timer->kind, timer->ms);
  } else if (auto* close = std::get_if<mqtt::Close>(&event)) {
    close_reason = close->reason;
    close_after_write_ = true;
    link_->pause_reading();
  } else if (auto* changed = std::get_if<mqtt::OutboundChanged>(&event)) {
    shard_.outbound_changed(*this, *changed);
  } else if (auto* released = std::get_if<mqtt::InboundReleased>(&event)) {
    shard_.inbound_released(*this, released->packet_id);
  }
}

void StreamClient::start_timer(mqtt::TimerKind kind, std::uint32_t ms) {
  // One timer per connection, as the protocol machine expects: a new one replaces any.
  // On the shard's wheel: an asio timer and its pending wait cost ~300 bytes each.
  cancel_all();
  if (!closed_) {
    arm(static_cast<std::uint8_t>(kind), ms);
  }
}

void StreamClient::on_wheel_timer(std::uint8_t kind) {
  connection_.on_timer(static_cast<mqtt::TimerKind>(kind), actions_);
  after_actions();
}

void StreamClient::flush(std::vector<transports::egress::WriteRequest>& batch) {
  flush_scheduled = false;
  if (closed_ || writing_ || output_holds_ > 0) {
    return;
  }
  if (!actions_.bytes.empty()) {
    writing_ = true;
    batch.push_back({link_.get(), &actions_.bytes});
    return;
  }
  if (close_after_write_) {
    link_->close();
  }
}

}  // namespace ferry::broker
