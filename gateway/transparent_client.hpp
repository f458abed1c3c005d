// gateway::TransparentClient: an MQTT-SN client of the transparent standalone gateway
// [issue 5]. Each MQTT-SN client gets its own upstream MQTT connection with its client
// id, Clean Session flag and will, so the upstream broker sees it as an ordinary client
// (and publishes its will when the gateway loses it). The MQTT-SN side (topic ids, the
// window of one, sleeping, retransmission) stays in sn::GatewaySession as in the
// integrated gateway; packets that would go to this broker go upstream instead.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker/sn_client.hpp"
#include "gateway/upstream.hpp"

namespace ferry::gateway {

struct UpstreamSettings {
  UpstreamAddress address;
  Backoff backoff;
  mqtt::Version version = mqtt::Version::v5;
  std::uint16_t keep_alive = 60;
  std::uint32_t session_expiry = 3600;  // v5, for clients with Clean Session 0
  std::size_t max_buffered = 1000;
  std::optional<std::string> username;
  std::optional<mqtt::Bytes> password;
};

class TransparentClient final : public broker::SnClient, public UpstreamHandler {
 public:
  TransparentClient(broker::SnGateway& gateway, transports::DatagramPeer peer,
                    std::optional<sn::Forwarder> via,
                    std::shared_ptr<const UpstreamSettings> settings);
  ~TransparentClient() override;

  // UpstreamHandler
  void on_upstream_connected(bool session_present) override;
  void on_upstream_lost(const mqtt::Failed& why, bool was_connected) override;
  void on_upstream_message(mqtt::Publish&& publish) override;
  void on_upstream_acked(std::uint64_t tag, bool ok) override;
  void on_upstream_subscribed(std::uint64_t tag, const mqtt::Suback& suback) override;
  void on_upstream_unsubscribed(std::uint64_t tag) override;

 protected:
  void on_sn_packet(mqtt::Packet&& packet) override;
  void on_will_update(const sn::WillUpdate& update) override;
  void on_sn_closed() override;

 private:
  void open_upstream(mqtt::Connect&& connect);
  void publish_upstream(mqtt::Publish&& publish);
  void subscribe_upstream(mqtt::Subscribe&& subscribe);
  void unsubscribe_upstream(mqtt::Unsubscribe&& unsubscribe);

  std::shared_ptr<const UpstreamSettings> settings_;
  std::unique_ptr<Upstream> upstream_;
  mqtt::SessionState state_;  // the MQTT-SN side's window and queue
  std::map<std::string, mqtt::SubscribeTopic> subscriptions_;  // replayed after a new session
  std::map<std::uint16_t, std::vector<mqtt::SubscribeTopic>> pending_subscribes_;
  std::set<std::uint64_t> forwarding_;  // QoS 1/2 publishes awaiting the upstream ack
  bool accepted_ = false;
  bool left_normally_ = false;
};

}  // namespace ferry::gateway
