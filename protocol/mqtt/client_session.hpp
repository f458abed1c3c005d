// mqtt::ClientSession: the client side of MQTT 3.1.1 / 5.0 as a sans-I/O state machine,
// for Ferry's own upstream connections (the standalone MQTT-SN gateway). Bytes from the
// server go in; bytes to write and events come out. It keeps what a client must keep
// across reconnects: QoS 1/2 messages not yet acknowledged (resent with DUP, PUBRELs
// again), a bounded buffer of QoS >= 1 messages while offline or beyond the server's
// Receive Maximum, and inbound QoS 2 ids until PUBREL. No clock, no socket.
//
// Driving it: on a new connection call connect(); feed every read to on_bytes(); write
// `bytes`; call tick() every keep_alive seconds (it sends PINGREQ, or reports the link
// dead when the last PINGREQ got no answer); call lost() when the link closes.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "protocol/mqtt/packet.hpp"

namespace ferry::mqtt {

struct ClientOptions {
  Version version = Version::v5;
  std::string client_id;
  std::uint16_t keep_alive = 60;
  bool clean_start = true;
  /// Later connections resume the session (Clean Start 0); false: every connection uses
  /// `clean_start` (the owner subscribes again after each Connected).
  bool resume = true;
  std::uint32_t session_expiry = 0;  // v5: seconds the server keeps the session
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<Bytes> password;
  /// QoS >= 1 messages held (unacknowledged + waiting); publish() refuses beyond it.
  std::size_t max_buffered = 1000;
  /// Inbound QoS 1/2 are acknowledged (PUBACK / PUBREC) only when the owner calls
  /// acknowledge(), e.g. once it has stored them; otherwise at once.
  bool manual_acks = false;
};

/// CONNACK accepted.
struct Connected {
  bool session_present = false;
};
/// CONNACK refused, or the server sent DISCONNECT, or a protocol error: close the link.
struct Failed {
  Reason reason = Reason::unspecified_error;
  std::string what;
};
/// A message from the server; QoS 1/2 are already acknowledged to it unless manual_acks.
struct Received {
  Publish publish;
};
/// The server took responsibility for a message: PUBACK (QoS 1) or PUBREC (QoS 2).
/// `ok` is false for an error reason code (the message was refused).
struct Acked {
  std::uint64_t tag = 0;
  bool ok = true;
};
struct Subscribed {
  std::uint64_t tag = 0;
  Suback suback;
};
struct Unsubscribed {
  std::uint64_t tag = 0;
};
using ClientEvent = std::variant<Connected, Failed, Received, Acked, Subscribed, Unsubscribed>;

struct ClientActions {
  std::string bytes;
  std::vector<ClientEvent> events;
};

class ClientSession {
 public:
  explicit ClientSession(ClientOptions options);

  /// A new link is up: writes CONNECT. Clean Start only the first time.
  void connect(ClientActions& out);
  /// Bytes from the server.
  void on_bytes(std::span<const std::uint8_t> bytes, ClientActions& out);
  /// Every keep_alive seconds: PINGREQ, or Failed when the previous one got no answer.
  void tick(ClientActions& out);
  /// The link is gone: unacknowledged messages wait for the next connect().
  void lost();
  /// Normal end: DISCONNECT (the server discards the will).
  void disconnect(ClientActions& out);

  /// QoS 0 is written when connected and otherwise dropped (returns false). QoS 1/2 is
  /// written or buffered; false when max_buffered messages are already held. `tag` comes
  /// back in Acked.
  bool publish(Publish publish, std::uint64_t tag, ClientActions& out);
  /// Only while connected (false otherwise): callers replay their subscriptions after
  /// Connected when the session was not present.
  /// `subscription_id` (v5, non-zero) comes back on the messages those filters match.
  bool subscribe(std::vector<SubscribeTopic> topics, std::uint64_t tag, ClientActions& out,
                 std::uint32_t subscription_id = 0);
  bool unsubscribe(std::vector<std::string> filters, std::uint64_t tag, ClientActions& out);
  /// manual_acks: the owner has taken inbound message `packet_id` (QoS 1/2): PUBACK or
  /// PUBREC now if connected. A QoS 2 id is remembered either way, so a resend after a
  /// reconnect is answered without being passed on again.
  void acknowledge(std::uint16_t packet_id, std::uint8_t qos, ClientActions& out);
  /// manual_acks: the owner could not take `packet_id`; it is not acknowledged, and a
  /// resend (after the next reconnect) is passed on again.
  void reject(std::uint16_t packet_id) { unacknowledged_.erase(packet_id); }

  bool connected() const { return phase_ == Phase::connected; }
  std::size_t buffered() const { return inflight_.size() + waiting_.size(); }
  const ClientOptions& options() const { return options_; }

 private:
  enum class Phase : std::uint8_t { offline, connecting, connected };
  struct Outbound {
    Publish publish;  // packet_id set once it is in flight
    std::uint64_t tag = 0;
    bool released = false;  // QoS 2: PUBREC seen, PUBREL sent
  };
  struct Request {
    std::uint16_t packet_id;
    std::uint64_t tag;
    bool subscribe;
  };

  void handle(Packet&& packet, ClientActions& out);
  void on_connack(const Connack& connack, ClientActions& out);
  void on_publish(Publish&& publish, ClientActions& out);
  void on_ack(std::uint8_t type, const Ack& ack, ClientActions& out);
  void on_request_ack(std::uint16_t packet_id, Packet&& packet, ClientActions& out);
  void fail(Reason reason, std::string what, ClientActions& out);
  void resend(ClientActions& out);
  void fill_window(ClientActions& out);
  /// Fits a PUBLISH to the server's limits (QoS, retain); false if it is too large.
  bool fit(Publish& publish) const;
  std::uint16_t next_packet_id();
  void write(const Packet& packet, ClientActions& out);

  ClientOptions options_;
  Phase phase_ = Phase::offline;
  bool first_connect_ = true;
  bool ping_outstanding_ = false;
  bool heard_since_tick_ = false;
  std::uint16_t receive_maximum_ = 65535;
  std::uint8_t maximum_qos_ = 2;
  bool retain_available_ = true;
  std::uint32_t maximum_packet_size_ = 0;  // 0 = no limit
  std::uint8_t connecting_ticks_ = 0;
  std::uint16_t last_id_ = 0;
  std::string buffer_;                      // a partial packet from the server
  std::deque<Outbound> inflight_;           // sent (or to resend), in order
  std::deque<Outbound> waiting_;            // beyond Receive Maximum or while offline
  std::vector<Request> requests_;           // SUBSCRIBE / UNSUBSCRIBE awaiting their ack
  std::set<std::uint16_t> inbound_qos2_;    // PUBREC sent, PUBREL not yet received
  std::set<std::uint16_t> unacknowledged_;  // manual_acks: passed on, owner not done yet
};

}  // namespace ferry::mqtt
