// The load generator's MQTT-SN client logic, sans I/O (the UDP socket is in
// bench/client/sn_socket.*): the CONNECT -> SUBSCRIBE/REGISTER handshake with
// retransmission, the acks a client owes the gateway, a PUBLISH read without allocating
// (sn::decode copies the data; this is every delivery's path) and a prepared PUBLISH
// whose stamp is rewritten in place for every send.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "protocol/sn/packet.hpp"

namespace ferry::bench {

/// A PUBLISH as received, viewing the datagram [MQTT-SN 5.4.12].
struct SnPublishView {
  std::int8_t qos = 0;  // 0, 1, 2 or -1
  bool dup = false;
  bool retain = false;
  sn::TopicIdType topic_id_type = sn::TopicIdType::normal;
  std::uint16_t topic_id = 0;
  std::uint16_t msg_id = 0;
  std::string_view data;
};

/// Reads `datagram` as a PUBLISH (1- or 3-octet Length, which must be the datagram
/// size). nullopt for any other message or a malformed PUBLISH: use sn::decode then.
std::optional<SnPublishView> view_sn_publish(std::span<const std::uint8_t> datagram);

/// A QoS 0 PUBLISH to a topic id, encoded once; stamp() points at the data, where the
/// payload stamp goes before each send.
class SnPublishTemplate {
 public:
  SnPublishTemplate(std::uint16_t topic_id, sn::TopicIdType type, std::size_t payload);
  char* stamp() { return datagram_.data() + data_offset_; }
  std::string_view datagram() const { return datagram_; }

 private:
  std::string datagram_;
  std::size_t data_offset_ = 0;
};

enum class SnRole : std::uint8_t { subscriber, publisher };

struct SnSessionConfig {
  SnRole role = SnRole::subscriber;
  std::string client_id;
  std::string topic;  // subscriber: SUBSCRIBE by this name; publisher: REGISTER it
  std::uint16_t keep_alive = 60;
  int qos = 0;  // subscriber: requested QoS
  int max_retries = 10;
};

/// One bench client's side of MQTT-SN: CONNECT (clean session) -> CONNACK ->
/// SUBSCRIBE by name -> SUBACK (subscriber) or REGISTER -> REGACK (publisher) -> ready,
/// with the topic id the gateway returned. Each call returns the datagram to send (empty:
/// nothing). Msg id 1 is the handshake's; replies to gateway messages echo their ids.
class SnSession {
 public:
  enum class Phase : std::uint8_t { idle, connecting, joining, ready, failed };

  explicit SnSession(SnSessionConfig config) : config_(std::move(config)) {}

  /// The CONNECT that opens the session.
  std::string start();
  /// A message from the gateway other than a fast-path PUBLISH: handshake answers
  /// (CONNACK, SUBACK, REGACK), REGISTER (answered with REGACK), DISCONNECT (fails).
  std::string on_message(const sn::Message& message);
  /// The handshake's answer did not come in time: the last request again, or (after
  /// max_retries resends) the session fails and nothing is returned.
  std::string on_timeout();
  /// What a received PUBLISH needs: PUBACK (topic id and msg id echoed) at QoS 1.
  std::string ack(const SnPublishView& publish) const;

  Phase phase() const { return phase_; }
  bool ready() const { return phase_ == Phase::ready; }
  bool done() const { return phase_ == Phase::ready || phase_ == Phase::failed; }
  std::uint16_t topic_id() const { return topic_id_; }
  int retries() const { return total_retries_; }
  const std::string& error() const { return error_; }
  const SnSessionConfig& config() const { return config_; }

 private:
  std::string request() const;  // what the current phase waits an answer for
  std::string on_connack(const sn::Connack& ack);
  void on_joined(std::uint16_t msg_id, std::uint16_t topic_id, sn::ReturnCode code,
                 const char* what);
  void fail(std::string why);

  SnSessionConfig config_;
  Phase phase_ = Phase::idle;
  std::uint16_t topic_id_ = 0;
  int retries_ = 0;
  int total_retries_ = 0;
  std::string error_;
};

/// Broker memory per client from RSS before and after `clients` connected; nullopt when
/// a reading is missing or there are no clients. Can be negative (memory returned).
std::optional<double> bytes_per_client(std::optional<std::uint64_t> before,
                                       std::optional<std::uint64_t> after, std::uint64_t clients);

}  // namespace ferry::bench
