// protocol::Connection: one MQTT peer as a sans-I/O state machine. Bytes and timer
// expiries go in; bytes to send, packets for the broker, timers to start and a close
// come out as Actions. No clock, no socket, no knowledge of other clients.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "protocol/byte_chain.hpp"
#include "protocol/mqtt/packet.hpp"
#include "protocol/mqtt/session_state.hpp"

namespace ferry::mqtt {

enum class TimerKind : std::uint8_t { connect, keep_alive };

struct StartTimer {
  TimerKind kind;
  std::uint32_t ms;
};
struct Deliver {
  Packet packet;
};
struct Close {
  Reason reason;  // why; success for a normal end
};
/// A stored outbound message changed state, for the broker to persist [MQTT 4.4]:
/// `sent` (entered the in-flight window with `packet_id`), `released` (QoS 2 PUBREC
/// received), `completed` (acknowledged, expired or dropped: forget it). Emitted only
/// for messages with a store_id.
struct OutboundChanged {
  enum class Kind : std::uint8_t { sent, released, completed };
  Kind kind;
  Outgoing item;  // a copy: the in-flight entry may be gone by the time this is handled
};
/// An inbound QoS 2 id was released by PUBREL (PUBCOMP sent) [MQTT-4.3.3-11].
struct InboundReleased {
  std::uint16_t packet_id;
};
using Event = std::variant<Deliver, StartTimer, Close, OutboundChanged, InboundReleased>;

/// What one call produced. `bytes` are written in order after the events are handled;
/// a Close means: write what is in `bytes`, then close.
struct Actions {
  ByteChain bytes;
  std::vector<Event> events;
  void clear() {
    bytes.clear();
    events.clear();
  }
};

struct ConnectionLimits {
  std::uint32_t max_packet_size = 268435460;  // inbound; announced to v5 clients
  std::uint16_t receive_maximum = 65535;      // inbound QoS>0 window; announced
  std::uint16_t topic_alias_maximum = 64;     // inbound aliases the client may use
  std::uint16_t max_keepalive = 65535;        // announced as Server Keep Alive when lower
  std::uint32_t connect_timeout_ms = 10000;   // time allowed for CONNECT to arrive
  std::uint16_t max_inflight = 1024;          // outbound window cap (3.x has no Receive Maximum)
  std::uint32_t max_queued_messages = 1000;   // per-session queue bound
  std::uint64_t max_queued_bytes = 64ull << 20;
};

/// Outcome of offering a message to the client.
enum class Offer : std::uint8_t {
  sent,
  queued,
  dropped_expired,
  dropped_too_large,
  dropped_queue_full
};

/// Counters the broker aggregates into metrics.
struct ConnectionStats {
  std::uint64_t packets_in = 0;
  std::uint64_t packets_out = 0;
};

class Connection {
 public:
  explicit Connection(const ConnectionLimits& limits) : limits_(limits) {}

  /// Emits StartTimer{connect}. Call once when the link is up. Driver thread.
  void start(Actions& out);
  /// Frames and validates inbound bytes. Emits Deliver for CONNECT, PUBLISH (aliases
  /// resolved), SUBSCRIBE, UNSUBSCRIBE, DISCONNECT and AUTH; answers PINGREQ and PUBREL
  /// itself; a violation emits the spec's CONNACK/DISCONNECT reason and Close.
  void on_bytes(std::span<const std::uint8_t> bytes, Actions& out);
  /// A timer started through StartTimer expired. May emit Close (keep alive, connect timeout).
  void on_timer(TimerKind kind, Actions& out);

  /// Broker's answer to a delivered CONNECT. `state` stays owned by the caller and is
  /// used until detach(); in-flight messages are resent with DUP [MQTT-4.4.0-1] and the
  /// queue drains into the window. `properties` adds broker-chosen CONNACK properties
  /// (e.g. assigned client id); limits are added here.
  void accept(SessionState& state, bool session_present, Properties properties,
              Clock::time_point now, Actions& out);
  /// Refuses a CONNECT with `reason` (mapped to a 3.x return code) and emits Close.
  void refuse(Reason reason, Actions& out);
  /// Sends a control packet chosen by the broker: SUBACK, UNSUBACK, PUBACK, PUBREC.
  /// PUBACK/PUBREC release the inbound Receive Maximum slot they acknowledge.
  void send(const Packet& packet, Actions& out);
  /// Offers a message: sent now, queued behind the client's Receive Maximum, or dropped.
  Offer publish(Outgoing item, Clock::time_point now, Actions& out);
  /// Server-initiated close: DISCONNECT with `reason` on v5 [MQTT-3.14], then Close.
  void disconnect(Reason reason, Actions& out);
  /// Returns the session state to its owner; the Connection no longer touches it.
  SessionState* detach();

  bool connected() const { return phase_ == Phase::connected; }
  bool closing() const { return phase_ == Phase::closing; }
  Version version() const { return version_; }
  /// Keep alive in force (seconds), after any Server Keep Alive override.
  std::uint16_t keep_alive() const { return keep_alive_; }
  std::uint32_t session_expiry_at_connect() const { return connect_session_expiry_; }
  const ConnectionStats& stats() const { return stats_; }

 private:
  enum class Phase : std::uint8_t { awaiting_connect, awaiting_accept, connected, closing };

  std::size_t parse(std::span<const std::uint8_t> input, Actions& out);
  void parse_buffered(Actions& out);
  void handle_frame(std::uint8_t first_byte, std::span<const std::uint8_t> body,
                    std::uint32_t remaining, Actions& out);
  void handle_connect(Connect&& connect, Actions& out);
  void handle_connect_error(const Packet& packet, Reason reason, Actions& out);
  void handle_packet(Packet&& packet, Actions& out);
  void handle_publish(Publish&& publish, Actions& out);
  bool resolve_topic_alias(Publish& publish, Actions& out);
  void handle_ack(PacketType type, const Ack& ack, Actions& out);
  void handle_pubrel(const Pubrel& pubrel, Actions& out);
  void handle_disconnect(Disconnect&& disconnect, Actions& out);
  void protocol_violation(Reason reason, Actions& out);
  void close(Reason reason, Actions& out);

  bool window_open() const;
  void fill_window(Clock::time_point now, Actions& out);
  Offer transmit(Outgoing& item, Clock::time_point now, bool dup, Actions& out);
  void changed(OutboundChanged::Kind kind, const Outgoing& item, Actions& out);
  std::uint16_t outbound_alias(const std::string& topic, bool& known);
  void encode_control(const Packet& packet, Actions& out);
  void resend_inflight(Clock::time_point now, Actions& out);
  Properties connack_limits() const;

  ConnectionLimits limits_;
  Phase phase_ = Phase::awaiting_connect;
  Version version_ = Version::v3_1_1;
  SessionState* state_ = nullptr;
  std::string rx_;  // bytes of an incomplete packet

  // Negotiated at CONNECT.
  std::uint16_t keep_alive_ = 0;
  std::uint16_t send_quota_ = 65535;          // min(client Receive Maximum, max_inflight)
  std::uint32_t client_max_packet_size_ = 0;  // 0 = no limit
  std::uint16_t client_alias_maximum_ = 0;
  std::uint32_t connect_session_expiry_ = 0;
  bool connect_had_session_expiry_ = false;

  // Per-connection protocol state.
  std::unordered_map<std::uint16_t, std::string> inbound_aliases_;
  std::unordered_map<std::string, std::uint16_t> outbound_aliases_;
  std::uint32_t inbound_unacked_ = 0;  // QoS>0 publishes not yet PUBACKed/PUBRECed
  Clock::time_point now_{};            // latest time the broker passed in (expiry checks)
  std::uint8_t idle_ticks_ = 0;
  bool activity_ = false;
  ConnectionStats stats_;
};

/// Keep alive is checked in ticks of 1.5 x keep alive / keep_alive_ticks; the client is
/// closed after that many ticks without a packet, i.e. between 1.5x and 1.69x [MQTT-3.1.2-22].
inline constexpr std::uint8_t keep_alive_ticks = 8;

}  // namespace ferry::mqtt
