// StreamClient: MQTT over a stream Link. Turns link callbacks into Connection calls and
// Connection actions into writes, timers, closes and packets for the shard.
#pragma once

#include "broker/client.hpp"
#include "transports/event_loop.hpp"
#include "transports/timer_wheel.hpp"

namespace ferry::broker {

class Shard;

class StreamClient final : public Client,
                           public transports::LinkHandler,
                           private transports::WheelTimers {
 public:
  StreamClient(Shard& shard, std::unique_ptr<transports::Link> link,
               const mqtt::ConnectionLimits& limits);

  void start();

  // LinkHandler
  void on_data(std::span<const std::uint8_t> bytes) override;
  void on_drained() override;
  void on_closed(std::error_code error) override;

  // Client: each queues output, flushed at the end of the loop turn.
  void accept(Session& session, bool session_present, mqtt::Properties properties) override;
  void refuse(mqtt::Reason reason) override;
  void send(const mqtt::Packet& packet) override;
  mqtt::Offer publish(mqtt::Outgoing item) override;
  void disconnect(mqtt::Reason reason) override;
  void flush(std::vector<transports::egress::WriteRequest>& batch) override;
  void detach_state() override { connection_.detach(); }
  bool connected() const override { return connection_.connected(); }
  mqtt::Version version() const override { return connection_.version(); }
  std::uint16_t keep_alive() const override { return connection_.keep_alive(); }
  std::size_t pending_bytes() const override { return actions_.bytes.size(); }
  transports::LinkInfo link_info() const override { return link_->info(); }
  const std::string& client_id() const override { return client_id_; }
  void set_client_id(std::string id) override { client_id_ = std::move(id); }

 private:
  void output_released() override;
  void after_actions();
  void handle(mqtt::Event& event);
  void start_timer(mqtt::TimerKind kind, std::uint32_t ms);
  void on_wheel_timer(std::uint8_t kind) override;

  Shard& shard_;
  std::unique_ptr<transports::Link> link_;
  mqtt::Connection connection_;
  mqtt::Actions actions_;
  std::string client_id_;
  bool handling_ = false;
  bool writing_ = false;
  bool close_after_write_ = false;
  bool closed_ = false;
};

}  // namespace ferry::broker
