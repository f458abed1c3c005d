// gateway::Upstream: one MQTT client connection to the upstream broker, kept up for as
// long as it lives. It drives an mqtt::ClientSession over a TCP Link on one event loop,
// reconnects with exponential backoff (with jitter) after any loss, pings every
// keep_alive seconds, and reports to its UpstreamHandler. QoS >= 1 publishes made while
// it is down wait in the session's bounded buffer and go out after the reconnect.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "protocol/byte_chain.hpp"
#include "protocol/mqtt/client_session.hpp"
#include "transports/event_loop.hpp"
#include "transports/link.hpp"

namespace ferry::gateway {

struct UpstreamAddress {
  std::string host;
  std::uint16_t port = 1883;
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

struct Backoff {
  std::uint32_t min_ms = 500;
  std::uint32_t max_ms = 30000;
};

class UpstreamHandler {
 public:
  virtual ~UpstreamHandler() = default;
  virtual void on_upstream_connected(bool session_present) = 0;
  /// The link failed or was refused; a reconnect follows unless `refused` and stop().
  virtual void on_upstream_lost(const mqtt::Failed& why, bool was_connected) = 0;
  virtual void on_upstream_message(mqtt::Publish&& publish) = 0;
  virtual void on_upstream_acked(std::uint64_t tag, bool ok) = 0;
  virtual void on_upstream_subscribed(std::uint64_t tag, const mqtt::Suback& suback) = 0;
  virtual void on_upstream_unsubscribed(std::uint64_t tag) = 0;
};

class Upstream final {
 public:
  Upstream(transports::EventLoop& loop, UpstreamAddress address, Backoff backoff,
           mqtt::ClientOptions options, UpstreamHandler& handler);
  ~Upstream();

  /// Connects (and keeps reconnecting). Loop thread.
  void start();
  /// DISCONNECT (normal: the server drops the will) and no reconnect.
  void stop();
  /// Closes the link without DISCONNECT (the server publishes the will), no reconnect.
  void abort();

  bool publish(mqtt::Publish publish, std::uint64_t tag);
  bool subscribe(std::vector<mqtt::SubscribeTopic> topics, std::uint64_t tag,
                 std::uint32_t subscription_id = 0);
  bool unsubscribe(std::vector<std::string> filters, std::uint64_t tag);
  /// manual_acks: the inbound message `packet_id` is taken (see ClientSession).
  void acknowledge(std::uint16_t packet_id, std::uint8_t qos);
  /// The owner could not take `packet_id`: the link is dropped and made again, so the
  /// server resends it (MQTT resends only on a new connection).
  void reject(std::uint16_t packet_id);
  bool connected() const { return session_.connected(); }
  std::size_t buffered() const { return session_.buffered(); }
  /// Bytes waiting for the link (behind the write in progress).
  std::size_t pending_bytes() const { return pending_.size(); }
  const UpstreamAddress& address() const { return address_; }

  // The link's callbacks, through a LinkForwarder.
  void on_data(std::span<const std::uint8_t> bytes);
  void on_drained();
  void on_closed(std::error_code error);

 private:
  void connect();
  void on_link(std::unique_ptr<transports::Link> link, std::error_code error);
  void after(bool was_connected);
  void dispatch(mqtt::ClientEvent& event);
  void drop_link();
  void schedule_reconnect();
  void arm_keep_alive();

  transports::EventLoop& loop_;
  UpstreamAddress address_;
  Backoff backoff_;
  UpstreamHandler& handler_;
  mqtt::ClientSession session_;
  mqtt::ClientActions actions_;
  /// Passes one link's callbacks on while that link is this Upstream's; a dropped link
  /// may still report (a cancelled read) after this Upstream is gone.
  struct LinkForwarder final : transports::LinkHandler {
    explicit LinkForwarder(Upstream* u) : upstream(u) {}
    void on_data(std::span<const std::uint8_t> b) override {
      if (upstream)
        upstream->on_data(b);
    }
    void on_drained() override {
      if (upstream)
        upstream->on_drained();
    }
    void on_closed(std::error_code e) override {
      if (upstream)
        upstream->on_closed(e);
    }
    Upstream* upstream;
  };
  std::unique_ptr<transports::Link> link_;
  std::shared_ptr<LinkForwarder> forwarder_;  // for link_
  std::shared_ptr<void> attempt_;             // a connect in progress
  ByteChain pending_;                         // bytes waiting for the write in progress
  transports::Timer reconnect_timer_;
  transports::Timer keep_alive_timer_;
  std::uint32_t next_delay_ms_;
  bool writing_ = false;
  bool close_after_write_ = false;
  bool stopped_ = false;
  bool dispatching_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace ferry::gateway
