// SnClient: one MQTT-SN client of the gateway, driven like a StreamClient: datagrams and
// timers go into its sn::GatewaySession, whose actions become datagrams, timers and
// packets for the shard.
#pragma once

#include <array>
#include <memory>

#include "broker/client.hpp"
#include "protocol/sn/gateway_session.hpp"
#include "transports/event_loop.hpp"
#include "transports/timer_wheel.hpp"
#include "transports/udp/datagram_socket.hpp"

namespace ferry::broker {

class Shard;
class SnGateway;

class SnClient : public Client, public transports::WheelTimers {
 public:
  SnClient(SnGateway& gateway, transports::DatagramPeer peer, std::optional<sn::Forwarder> via);
  ~SnClient() override = default;
  void start();
  void on_datagram(std::span<const std::uint8_t> datagram);

  void accept(Session& session, bool session_present, mqtt::Properties properties) override;
  void refuse(mqtt::Reason reason) override;
  void send(const mqtt::Packet& packet) override;
  mqtt::Offer publish(mqtt::Outgoing item) override;
  void disconnect(mqtt::Reason reason) override;
  void flush(std::vector<transports::egress::WriteRequest>&) override {}  // sent at once
  void detach_state() override { session_.detach(); }
  bool connected() const override { return session_.connected(); }
  mqtt::Version version() const override { return mqtt::Version::v3_1_1; }
  std::uint16_t keep_alive() const override { return session_.keep_alive(); }
  std::size_t pending_bytes() const override { return 0; }
  transports::LinkInfo link_info() const override;
  const std::string& client_id() const override { return session_.client_id(); }
  void set_client_id(std::string id) override { session_.set_client_id(std::move(id)); }

  const transports::DatagramPeer& peer() const { return peer_; }
  /// The wireless node id behind a forwarder; empty when the client talks directly.
  std::string_view node_id() const;

 protected:
  /// What the gateway session hands over: by default the shard's (integrated gateway);
  /// the standalone transparent mode sends them upstream instead.
  virtual void on_sn_packet(mqtt::Packet&& packet);
  virtual void on_will_update(const sn::WillUpdate& update);
  /// The client is closing (lost, or after its DISCONNECT): its last chance to act.
  virtual void on_sn_closed() {}
  /// accept() without a broker Session: `state` is the caller's, kept until closed.
  void accept_state(mqtt::SessionState& state);
  Shard& shard();

 private:
  void output_released() override;
  /// Where the session writes: a scratch Actions lent by the gateway until
  /// after_actions() has carried it out (nested calls add to the same one).
  sn::Actions& actions();
  void after_actions();
  void handle(sn::Event& event);
  void on_wheel_timer(std::uint8_t kind) override;

  SnGateway& gateway_;
  transports::DatagramPeer peer_;
  sn::GatewaySession session_;
  std::unique_ptr<sn::Actions> actions_;
  /// Datagrams waiting for a durability hold to end; null when none (the usual case).
  std::unique_ptr<std::vector<std::string>> held_;
  bool handling_ = false;
  bool closed_ = false;
};

}  // namespace ferry::broker
