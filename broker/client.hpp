// broker::Client: what a shard needs of one connected peer, whatever its protocol. Two
// drivers implement it: StreamClient (MQTT over a stream Link: TCP, Unix, ...) and
// SnClient (MQTT-SN datagrams through the gateway). Each is the one place that holds a
// transport and a protocol state machine together. Shard thread only.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/mqtt/connection.hpp"
#include "transports/egress/egress.hpp"
#include "transports/link.hpp"

namespace ferry::broker {

struct Session;

class Client {
 public:
  virtual ~Client();

  /// Broker's answer to the peer's CONNECT: CONNACK, then resumed and queued messages.
  virtual void accept(Session& session, bool session_present, mqtt::Properties properties) = 0;
  virtual void refuse(mqtt::Reason reason) = 0;
  /// A control packet for the peer: SUBACK, UNSUBACK, PUBACK, PUBREC.
  virtual void send(const mqtt::Packet& packet) = 0;
  /// Offers a message; see mqtt::Connection::publish.
  virtual mqtt::Offer publish(mqtt::Outgoing item) = 0;
  /// Server-initiated close with `reason`.
  virtual void disconnect(mqtt::Reason reason) = 0;
  /// Hands queued output to `batch` (stream peers), once per loop turn.
  virtual void flush(std::vector<transports::egress::WriteRequest>& batch) = 0;
  /// Takes the session state back from the protocol machine.
  virtual void detach_state() = 0;
  virtual bool connected() const = 0;
  virtual mqtt::Version version() const = 0;
  virtual std::uint16_t keep_alive() const = 0;
  /// Bytes queued for the peer and not yet handed to the transport.
  virtual std::size_t pending_bytes() const = 0;
  /// Transport and peer address, for logs.
  virtual transports::LinkInfo link_info() const = 0;
  /// The client identifier once CONNECT is seen (or the one the broker assigned), for the
  /// session directory and logs. Kept by the drivers: an MQTT-SN client's gateway
  /// session holds it already (an idle client's memory is a benchmark target).
  virtual const std::string& client_id() const = 0;
  virtual void set_client_id(std::string id) = 0;

  /// Reserves the place of an inbound QoS>0 PUBLISH's acknowledgement; acks leave in
  /// the order their PUBLISHes arrived [MQTT-4.6.0-2] even when commits finish unordered.
  std::uint64_t expect_ack(std::uint16_t packet_id, std::uint8_t qos);
  /// The commit for `ticket` finished: sends every acknowledgement now due. A failed
  /// one is PUBACK/PUBREC 0x97 on v5 and no acknowledgement on 3.x.
  void complete_ack(std::uint64_t ticket, bool ok);

  /// Holds queued output back until as many release_output() calls (a durability
  /// barrier: a QoS 2 packet id must be on disk before the PUBLISH/PUBREL that uses it).
  void hold_output() { ++output_holds_; }
  void release_output();

  Session* session = nullptr;
  std::uint64_t serial = 0;  // distinguishes clients across pointer reuse
  /// Set when the client ended with a DISCONNECT packet: its reason (will handling).
  std::optional<mqtt::Reason> client_disconnect;
  /// Why the connection is closing, for the log line.
  mqtt::Reason close_reason = mqtt::Reason::success;
  bool flush_scheduled = false;

 protected:
  std::uint32_t output_holds_ = 0;  // here, not below: it fills the padding

 public:
  /// The connection count of the listener that accepted this client, if it is limited.
  std::shared_ptr<std::atomic<std::uint32_t>> listener_slots;

 private:
  struct PendingAck {
    std::uint64_t ticket;
    std::uint16_t packet_id;
    std::uint8_t qos;
    bool done = false;
    bool ok = false;
  };
  std::list<PendingAck> pending_acks_;  // empty list: no allocation
  std::uint64_t next_ticket_ = 0;

 protected:
  /// Output may leave now; a driver with bytes waiting asks for a flush.
  virtual void output_released() {}
};

}  // namespace ferry::broker
