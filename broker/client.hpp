// The connection driver: the one place that holds both a transport Link and a protocol
// Connection. Turns link callbacks into Connection calls and Connection actions into
// writes, timers, closes and packets for the shard. Lives on one shard's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "protocol/mqtt/connection.hpp"
#include "transports/egress/egress.hpp"
#include "transports/event_loop.hpp"
#include "transports/link.hpp"

namespace ferry::broker {

class Shard;
struct Session;

class Client final : public transports::LinkHandler {
 public:
  Client(Shard& shard, std::unique_ptr<transports::Link> link,
         const mqtt::ConnectionLimits& limits);
  ~Client() override;

  void start();

  // LinkHandler
  void on_data(std::span<const std::uint8_t> bytes) override;
  void on_drained() override;
  void on_closed(std::error_code error) override;

  // Called by the shard; each queues output and flushes it at the end of the loop turn.
  void accept(Session& session, bool session_present, mqtt::Properties properties);
  void refuse(mqtt::Reason reason);
  void send(const mqtt::Packet& packet);
  mqtt::Offer publish(mqtt::Outgoing item);
  /// Reserves the place of an inbound QoS>0 PUBLISH's acknowledgement; acks leave in
  /// the order their PUBLISHes arrived [MQTT-4.6.0-2] even when commits finish unordered.
  std::uint64_t expect_ack(std::uint16_t packet_id, std::uint8_t qos);
  /// The commit for `ticket` finished: sends every acknowledgement now due. A failed
  /// one is PUBACK/PUBREC 0x97 on v5 and no acknowledgement on 3.x.
  void complete_ack(std::uint64_t ticket, bool ok);
  void disconnect(mqtt::Reason reason);
  /// Hands queued output to `batch` when no write is outstanding (the shard calls this
  /// once per loop turn and submits the batch to its Egress); closes when all is written.
  void flush(std::vector<transports::egress::WriteRequest>& batch);

  mqtt::Connection& connection() { return connection_; }
  /// Bytes queued for this client and not yet handed to the link.
  std::size_t pending_bytes() const { return actions_.bytes.size(); }
  const transports::LinkInfo& link_info() const { return link_->info(); }
  Session* session = nullptr;
  std::uint64_t serial = 0;  // distinguishes clients across pointer reuse
  std::string client_id;  // once CONNECT is seen, for logs
  /// Set when the client ended with a DISCONNECT packet: its reason (will handling).
  std::optional<mqtt::Reason> client_disconnect;
  /// Why the connection is closing, for the log line.
  mqtt::Reason close_reason = mqtt::Reason::success;
  bool flush_scheduled = false;
  /// The connection count of the listener that accepted this client, if it is limited.
  std::shared_ptr<std::atomic<std::uint32_t>> listener_slots;

 private:
  void after_actions();
  void handle(mqtt::Event& event);
  void start_timer(mqtt::TimerKind kind, std::uint32_t ms);

  struct PendingAck {
    std::uint64_t ticket;
    std::uint16_t packet_id;
    std::uint8_t qos;
    bool done = false;
    bool ok = false;
  };

  Shard& shard_;
  std::deque<PendingAck> pending_acks_;
  std::uint64_t next_ticket_ = 0;
  std::unique_ptr<transports::Link> link_;
  mqtt::Connection connection_;
  mqtt::Actions actions_;
  transports::Timer timer_;
  bool handling_ = false;
  bool writing_ = false;
  bool close_after_write_ = false;
  bool closed_ = false;
};

}  // namespace ferry::broker
