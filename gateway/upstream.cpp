#include "gateway/upstream.hpp"

#include <random>

#include <spdlog/spdlog.h>

#include "transports/tcp/tcp_connector.hpp"

namespace ferry::gateway {

Upstream::Upstream(transports::EventLoop& loop, UpstreamAddress address, Backoff backoff,
                   mqtt::ClientOptions options, UpstreamHandler& handler)
    : loop_(loop),
      address_(std::move(address)),
      backoff_(backoff),
      handler_(handler),
      session_(std::move(options)),
      reconnect_timer_(loop),
      keep_alive_timer_(loop),
      next_delay_ms_(backoff.min_ms) {}

Upstream::~Upstream() {
  *alive_ = false;
  attempt_.reset();
  drop_link();
}

void Upstream::start() {
  stopped_ = false;
  connect();
}

void Upstream::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  reconnect_timer_.cancel();
  keep_alive_timer_.cancel();
  attempt_.reset();
  session_.disconnect(actions_);
  after(false);
  if (link_ && writing_) {
    close_after_write_ = true;  // the DISCONNECT must reach the server: no will
  } else if (link_) {
    link_->close();
  }
}

void Upstream::abort() {
  stopped_ = true;
  reconnect_timer_.cancel();
  keep_alive_timer_.cancel();
  attempt_.reset();
  session_.lost();
  drop_link();
}

bool Upstream::publish(mqtt::Publish publish, std::uint64_t tag) {
  bool taken = session_.publish(std::move(publish), tag, actions_);
  after(session_.connected());
  return taken;
}

bool Upstream::subscribe(std::vector<mqtt::SubscribeTopic> topics, std::uint64_t tag,
                         std::uint32_t subscription_id) {
  bool sent = session_.subscribe(std::move(topics), tag, actions_, subscription_id);
  after(session_.connected());
  return sent;
}

bool Upstream::unsubscribe(std::vector<std::string> filters, std::uint64_t tag) {
  bool sent = session_.unsubscribe(std::move(filters), tag, actions_);
  after(session_.connected());
  return sent;
}

void Upstream::acknowledge(std::uint16_t packet_id, std::uint8_t qos) {
  session_.acknowledge(packet_id, qos, actions_);
  after(session_.connected());
}

void Upstream::reject(std::uint16_t packet_id) {
  session_.reject(packet_id);
  if (link_ && session_.connected()) {
    spdlog::warn("upstream {}: a message could not be stored here; reconnecting for its resend",
                 address_.to_string());
    session_.lost();
    drop_link();
    keep_alive_timer_.cancel();
    handler_.on_upstream_lost({mqtt::Reason::unspecified_error, "reconnect for a resend"}, true);
    schedule_reconnect();
  }
}

void Upstream::connect() {
  std::weak_ptr<bool> alive = alive_;
  attempt_ = transports::connect_tcp(
      loop_, address_.host, address_.port,
      [this, alive](std::unique_ptr<transports::Link> link, std::error_code error) {
        if (auto a = alive.lock(); a && *a) {
          on_link(std::move(link), error);
        }
      });
}

void Upstream::on_link(std::unique_ptr<transports::Link> link, std::error_code error) {
  auto attempt = std::move(attempt_);  // ends with this call, not inside it
  if (error || stopped_) {
    if (!stopped_) {
      spdlog::warn("upstream {}: cannot connect ({})", address_.to_string(), error.message());
      handler_.on_upstream_lost({mqtt::Reason::server_unavailable, "cannot connect"}, false);
      schedule_reconnect();
    }
    return;
  }
  link_ = std::move(link);
  writing_ = false;
  pending_.clear();
  forwarder_ = std::make_shared<LinkForwarder>(this);
  link_->start(*forwarder_);
  session_.connect(actions_);
  after(false);
  arm_keep_alive();
}

void Upstream::on_data(std::span<const std::uint8_t> bytes) {
  bool was_connected = session_.connected();
  session_.on_bytes(bytes, actions_);
  after(was_connected);
}

void Upstream::on_drained() {
  writing_ = false;
  if (link_ && !pending_.empty()) {
    writing_ = true;
    link_->write(pending_);
  } else if (link_ && close_after_write_) {
    link_->close();
  }
}

void Upstream::on_closed(std::error_code error) {
  if (!link_) {
    return;  // the late callback of a link already dropped
  }
  bool was_connected = session_.connected();
  session_.lost();
  drop_link();
  keep_alive_timer_.cancel();
  if (!stopped_) {
    spdlog::warn("upstream {}: connection closed ({})", address_.to_string(),
                 error ? error.message() : "by the server");
    handler_.on_upstream_lost({mqtt::Reason::server_unavailable, "connection closed"},
                              was_connected);
    schedule_reconnect();
  }
}

void Upstream::after(bool was_connected) {
  if (!actions_.bytes.empty() && link_) {
    pending_.append(actions_.bytes);
    if (!writing_) {
      writing_ = true;
      link_->write(pending_);
    }
  }
  actions_.bytes.clear();
  if (dispatching_) {
    return;  // the outer call dispatches what a handler added
  }
  dispatching_ = true;
  while (!actions_.events.empty()) {
    auto events = std::move(actions_.events);
    actions_.events.clear();
    for (auto& event : events) {
      if (auto* failed = std::get_if<mqtt::Failed>(&event)) {
        spdlog::warn("upstream {}: {} (reason {:#04x})", address_.to_string(), failed->what,
                     static_cast<unsigned>(failed->reason));
        drop_link();
        keep_alive_timer_.cancel();
        handler_.on_upstream_lost(*failed, was_connected);
        schedule_reconnect();
        was_connected = false;
        continue;
      }
      dispatch(event);
    }
  }
  dispatching_ = false;
}

void Upstream::dispatch(mqtt::ClientEvent& event) {
  if (auto* connected = std::get_if<mqtt::Connected>(&event)) {
    next_delay_ms_ = backoff_.min_ms;
    spdlog::info("upstream {}: connected (session present: {})", address_.to_string(),
                 connected->session_present);
    handler_.on_upstream_connected(connected->session_present);
  } else if (auto* received = std::get_if<mqtt::Received>(&event)) {
    handler_.on_upstream_message(std::move(received->publish));
  } else if (auto* acked = std::get_if<mqtt::Acked>(&event)) {
    handler_.on_upstream_acked(acked->tag, acked->ok);
  } else if (auto* subscribed = std::get_if<mqtt::Subscribed>(&event)) {
    handler_.on_upstream_subscribed(subscribed->tag, subscribed->suback);
  } else if (auto* unsubscribed = std::get_if<mqtt::Unsubscribed>(&event)) {
    handler_.on_upstream_unsubscribed(unsubscribed->tag);
  }
}

void Upstream::drop_link() {
  if (!link_) {
    return;
  }
  forwarder_->upstream = nullptr;  // from here its callbacks reach no one
  link_->close();
  // The link may be inside one of its own callbacks, or have one queued: it (and the
  // forwarder it calls) are destroyed on a later turn.
  std::shared_ptr<transports::Link> doomed(std::move(link_));
  loop_.post([doomed, forwarder = std::move(forwarder_)] {});
  writing_ = false;
  close_after_write_ = false;
  pending_.clear();
}

void Upstream::schedule_reconnect() {
  if (stopped_) {
    return;
  }
  static thread_local std::minstd_rand jitter{std::random_device{}()};
  std::uint32_t delay = next_delay_ms_ * 3 / 4 + jitter() % (next_delay_ms_ / 2 + 1);
  next_delay_ms_ = std::min(backoff_.max_ms, next_delay_ms_ * 2);
  reconnect_timer_.start(delay, [this] { connect(); });
}

void Upstream::arm_keep_alive() {
  // Without a keep alive the ticks still bound the wait for CONNACK.
  std::uint32_t seconds = session_.options().keep_alive;
  keep_alive_timer_.start((seconds == 0 ? 30u : seconds) * 1000u, [this] {
    session_.tick(actions_);
    after(session_.connected());
    if (link_) {
      arm_keep_alive();
    }
  });
}

}  // namespace ferry::gateway
