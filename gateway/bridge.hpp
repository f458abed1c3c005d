// gateway::Bridge: the aggregating gateway's one upstream connection [issue 5].
//
// The bridge is a client of this broker (on shard 0) and of the upstream broker at once:
// - locally it holds a session subscribed to "#" with No Local, so every message a local
//   client (an MQTT-SN sensor) publishes reaches it, and forwards them upstream (QoS 1/2
//   wait in a bounded buffer while upstream is away, and go out after the reconnect);
// - upstream it subscribes to the union of the filters local sessions subscribe to
//   (Broker::watch_filters), with No Local so its own messages do not come back, and
//   publishes what arrives into this broker, where the local subscribers get it.
// Upstream it keeps a persistent session (Clean Start 0, session expiry from config), so
// the upstream broker queues QoS 1/2 messages for the gateway while the link is down.
//
// Durability (storage = sqlite): the local session never expires, so a sensor's QoS 1/2
// message is stored for the bridge in the same commit that acknowledges it to the
// sensor, and its row goes only when the upstream broker acknowledges it. While upstream
// is away the bridge counts as offline and messages queue in that session (bounded by
// [limits] max_queued_*), surviving a gateway crash; they go out after the reconnect.
// The other way, an upstream message is acknowledged upstream only once this broker has
// acknowledged it (stored it, with sync = "ack").
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "broker/client.hpp"
#include "gateway/upstream.hpp"

namespace ferry::broker {
class Broker;
class Shard;
}  // namespace ferry::broker

namespace ferry::gateway {

class Bridge final : public broker::Client, public UpstreamHandler {
 public:
  Bridge(broker::Broker& broker, broker::Shard& shard, UpstreamAddress address, Backoff backoff,
         mqtt::ClientOptions options);
  ~Bridge() override;

  /// Shard thread: opens the local session and starts the upstream link.
  void start();

  // broker::Client
  void accept(broker::Session& session, bool session_present, mqtt::Properties) override;
  void refuse(mqtt::Reason reason) override;
  /// The local broker's PUBACK/PUBREC for a message from upstream: acknowledged upstream.
  void send(const mqtt::Packet& packet) override;
  mqtt::Offer publish(mqtt::Outgoing item) override;
  void disconnect(mqtt::Reason reason) override;
  void flush(std::vector<transports::egress::WriteRequest>&) override {}
  void detach_state() override {}
  bool connected() const override { return session != nullptr && upstream_->connected(); }
  mqtt::Version version() const override { return mqtt::Version::v5; }
  std::uint16_t keep_alive() const override { return 0; }
  std::size_t pending_bytes() const override { return upstream_->pending_bytes(); }
  transports::LinkInfo link_info() const override { return info_; }
  const std::string& client_id() const override { return client_id_; }
  void set_client_id(std::string id) override { client_id_ = std::move(id); }

  // UpstreamHandler
  void on_upstream_connected(bool session_present) override;
  void on_upstream_lost(const mqtt::Failed& why, bool was_connected) override;
  void on_upstream_message(mqtt::Publish&& publish) override;
  void on_upstream_acked(std::uint64_t tag, bool ok) override;
  void on_upstream_subscribed(std::uint64_t tag, const mqtt::Suback& suback) override;
  void on_upstream_unsubscribed(std::uint64_t) override {}

 private:
  void filter_changed(const std::string& filter, bool wanted);
  void drain_queue();
  /// Hands a QoS 1/2 message to the upstream link (moved from only when it took it).
  bool send_upstream(mqtt::Outgoing& item);
  void subscribe_upstream(const std::string& filter, bool resume);
  /// False for a further copy of a message that several upstream filters match.
  bool first_copy(const mqtt::Publish& publish) const;

  broker::Broker& broker_;
  broker::Shard& shard_;
  transports::LinkInfo info_;
  std::string client_id_;
  std::unique_ptr<Upstream> upstream_;
  std::set<std::string> wanted_;  // filters local sessions subscribe to
  // Filters subscribed upstream (as far as we know) -> their Subscription Identifier.
  std::map<std::string, std::uint32_t> subscribed_;
  std::map<std::string, std::uint32_t> wildcards_;  // the subset with + or #
  std::uint32_t next_subscription_id_ = 0;
  std::uint16_t next_local_id_ = 0;  // packet ids of PUBLISHes into the local broker
  struct Inbound {
    std::uint16_t upstream_id;
    std::uint8_t qos;
  };
  std::unordered_map<std::uint16_t, Inbound> inbound_;          // local id -> upstream message
  std::unordered_map<std::uint64_t, mqtt::Outgoing> outbound_;  // tag -> message sent upstream
  std::uint64_t next_tag_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace ferry::gateway
