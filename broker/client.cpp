#include "broker/client.hpp"

#include "broker/shard.hpp"

namespace ferry::broker {

Client::Client(Shard& shard, std::unique_ptr<transports::Link> link,
               const mqtt::ConnectionLimits& limits)
    : shard_(shard), link_(std::move(link)), connection_(limits), timer_(shard.loop()) {}

Client::~Client() {
  if (listener_slots) {
    listener_slots->fetch_sub(1);
  }
}

void Client::start() {
  link_->start(*this);
  connection_.start(actions_);
  after_actions();
}

void Client::on_data(std::span<const std::uint8_t> bytes) {
  connection_.on_bytes(bytes, actions_);
  after_actions();
}

void Client::on_drained() {
  writing_ = false;
  if (!actions_.bytes.empty()) {
    shard_.schedule_flush(*this);
  } else if (close_after_write_) {
    link_->close();
  } else {
    link_->resume_reading();
  }
}

void Client::on_closed(std::error_code error) {
  if (closed_) {
    return;
  }
  closed_ = true;
  timer_.cancel();
  // When the broker closed the link, the transport's "cancelled" is not news.
  shard_.client_closed(*this, close_after_write_ ? std::error_code() : error);
}

void Client::accept(Session& s, bool session_present, mqtt::Properties properties) {
  session = &s;
  connection_.accept(s.state, session_present, std::move(properties), shard_.now(), actions_);
  after_actions();
}

void Client::refuse(mqtt::Reason reason) {
  connection_.refuse(reason, actions_);
  after_actions();
}

void Client::send(const mqtt::Packet& packet) {
  connection_.send(packet, actions_);
  after_actions();
}

mqtt::Offer Client::publish(mqtt::Outgoing item) {
  mqtt::Offer offer = connection_.publish(std::move(item), shard_.now(), actions_);
  after_actions();
  return offer;
}

std::uint64_t Client::expect_ack(std::uint16_t packet_id, std::uint8_t qos) {
  pending_acks_.push_back({++next_ticket_, packet_id, qos});
  return next_ticket_;
}

void Client::complete_ack(std::uint64_t ticket, bool ok) {
  for (auto& pending : pending_acks_) {
    if (pending.ticket == ticket) {
      pending.done = true;
      pending.ok = ok;
    }
  }
  while (!pending_acks_.empty() && pending_acks_.front().done) {
    PendingAck a = pending_acks_.front();
    pending_acks_.pop_front();
    mqtt::Reason reason = a.ok ? mqtt::Reason::success : mqtt::Reason::quota_exceeded;
    if (!a.ok && connection_.version() != mqtt::Version::v5) {
      continue;  // 3.x has no way to refuse: leave it unacknowledged, the client resends
    }
    if (a.qos == 1) {
      connection_.send(mqtt::Puback{{a.packet_id, reason}}, actions_);
    } else {
      connection_.send(mqtt::Pubrec{{a.packet_id, reason}}, actions_);
    }
  }
  after_actions();
}

void Client::disconnect(mqtt::Reason reason) {
  connection_.disconnect(reason, actions_);
  after_actions();
}

void Client::after_actions() {
  if (handling_) {
    return;  // the outer call handles whatever was appended
  }
  handling_ = true;
  for (std::size_t i = 0; i < actions_.events.size(); ++i) {
    mqtt::Event event = std::move(actions_.events[i]);
    handle(event);
  }
  actions_.events.clear();
  handling_ = false;
  if ((!actions_.bytes.empty() || close_after_write_) && !flush_scheduled) {
    shard_.schedule_flush(*this);
  }
}

void Client::handle(mqtt::Event& event) {
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

void Client::start_timer(mqtt::TimerKind kind, std::uint32_t ms) {
  timer_.start(ms, [this, kind] {
    connection_.on_timer(kind, actions_);
    after_actions();
  });
}

void Client::flush(std::vector<transports::egress::WriteRequest>& batch) {
  flush_scheduled = false;
  if (closed_ || writing_) {
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
