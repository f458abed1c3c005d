// sn::GatewaySession: one MQTT-SN client (one address, or one wireless node behind a
// forwarder) as a sans-I/O state machine with the shape of mqtt::Connection. Datagrams
// and timer expiries go in; datagrams to send, mqtt:: packets for the broker, timers and
// a close come out as Actions. MQTT-SN is translated into the broker's vocabulary:
// CONNECT (+ will dialogue) -> mqtt::Connect, PUBLISH (topic ids resolved) ->
// mqtt::Publish, SUBSCRIBE/UNSUBSCRIBE -> mqtt::Subscribe/Unsubscribe, DISCONNECT ->
// mqtt::Disconnect. Topic ids, the will dialogue, gateway-initiated REGISTER, the window
// of one, retransmission and sleeping clients stay in here. No clock, no socket.
//
// Driving it (the UDP gateway driver, one shard thread):
//  - Per datagram from an address: SEARCHGW is the driver's (answer GWINFO); with no
//    session yet, try decode_qos_minus_one() first (QoS -1 needs no connection), else
//    create a session (with `via` when the datagram is encapsulated: key by address +
//    node id), call start(), then on_datagram().
//  - Events: Deliver{Connect} -> accept(state, ...) or refuse(reason); Deliver{Publish} ->
//    route, then send(Puback/Pubrec) for QoS 1/2 as for MQTT; Deliver{Subscribe} ->
//    send(Suback); Deliver{Unsubscribe} -> send(Unsuback); Deliver{Disconnect} -> the
//    client left normally (no will); UpdateWill -> apply to the session's will;
//    StartTimer -> (re)arm that kind's timer, then call on_timer(kind); Close -> send the
//    datagrams, detach(), forget the session; the will is published unless a
//    Deliver{Disconnect} came first.
//  - Messages for the client: publish(Outgoing, now) exactly as for mqtt::Connection.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/mqtt/connection.hpp"
#include "protocol/mqtt/session_state.hpp"
#include "protocol/sn/packet.hpp"
#include "protocol/sn/topics.hpp"

namespace ferry::sn {

/// connect: CONNECT and the will dialogue must finish; keep_alive: ticks of 1.5 x Duration
/// / keep_alive_ticks; retry: Tretry for the one outstanding gateway message; sleep:
/// 1.5 x the sleep Duration.
enum class TimerKind : std::uint8_t { connect, keep_alive, retry, sleep };

/// At most one timer per kind is pending: a StartTimer replaces the pending timer of the
/// same kind. A timer that fires when it no longer matters is ignored.
struct StartTimer {
  TimerKind kind;
  std::uint32_t ms;
  bool operator==(const StartTimer&) const = default;
};

/// A change to the session's will [MQTT-SN 6.4]: from WILLTOPICUPD, WILLMSGUPD, or the
/// will dialogue of a CONNECT on a session that is already attached. The broker applies
/// it to the stored will: `clear` removes it; `topic` sets topic/qos/retain (creating a
/// will with an empty payload when there was none); `payload` replaces the payload.
struct WillUpdate {
  bool clear = false;
  std::optional<std::string> topic;
  std::uint8_t qos = 0;
  bool retain = false;
  std::optional<Bytes> payload;
  bool operator==(const WillUpdate&) const = default;
};
struct UpdateWill {
  WillUpdate update;
};

/// A topic id the client knows was added or dropped [MQTT-SN 6.5]; the session state's
/// sn_topic_ids already reflect it. For the broker to keep a persistent session's ids.
struct TopicIdChanged {
  std::uint16_t id = 0;
  std::string topic;  // empty when dropped
  bool registered = true;
  bool operator==(const TopicIdChanged&) const = default;
};

/// OutboundChanged / InboundReleased: as from mqtt::Connection, for the broker to keep a
/// persistent session's stored rows in step (only for messages with a store id).
using Event = std::variant<mqtt::Deliver, UpdateWill, StartTimer, mqtt::Close,
                           mqtt::OutboundChanged, mqtt::InboundReleased, TopicIdChanged>;

/// What one call produced. Each string in `datagrams` is one whole MQTT-SN message
/// (already encapsulated for a forwarder), sent as one datagram, in order. A Close means:
/// send the datagrams, then forget the session.
struct Actions {
  std::vector<std::string> datagrams;
  std::vector<Event> events;
  void clear() {
    datagrams.clear();
    events.clear();
  }
  /// Appends an event in place (no temporary variant to move).
  template <class T>
  void add(T&& event) {
    events.emplace_back(std::in_place_type<std::decay_t<T>>, std::forward<T>(event));
  }
};

struct GatewayLimits {
  std::uint32_t connect_timeout_ms = 10000;  // CONNECT + will dialogue
  std::uint32_t retry_ms = 10000;            // Tretry [MQTT-SN 6.13]: 10-15 s suggested
  std::uint8_t max_retries = 3;              // Nretry [MQTT-SN 6.13]: 3-5 suggested
  std::uint16_t max_topics = 1000;           // normal topic ids per client
  std::uint32_t max_queued_messages = 100;   // buffered behind the window or while asleep
  std::uint64_t max_queued_bytes = 1u << 20;
  std::uint16_t max_datagram = 65535;  // larger outbound PUBLISHes are dropped
};

/// Where the client sits behind a forwarder [MQTT-SN 5.5]; replies are encapsulated.
struct Forwarder {
  std::uint8_t ctrl = 0;
  Bytes node_id;
};

struct GatewayStats {
  std::uint64_t datagrams_in = 0;
  std::uint64_t datagrams_out = 0;
  std::uint64_t malformed = 0;        // did not decode: dropped
  std::uint64_t unexpected = 0;       // decoded but not valid in the session's state: dropped
  std::uint64_t retransmissions = 0;  // REGISTER/PUBLISH/PUBREL sent again after Tretry
  std::uint64_t dropped = 0;          // outbound messages given up (expired, too large, refused)
};

/// What the sessions of one gateway share: its limits, its predefined topic ids, and the
/// counters they add to. Kept once per gateway, not per client (an idle client's memory
/// is a benchmark target); it must outlive the sessions.
struct GatewayContext {
  GatewayLimits limits;
  std::shared_ptr<const PredefinedTopics> predefined;  // may be null: no predefined ids
  GatewayStats stats;
};

/// The TopicId a PUBACK or SUBACK must carry, recorded per msg id of the PUBLISH or
/// SUBSCRIBE awaiting the broker's answer: a small vector, freed when it empties (most
/// clients have nothing outstanding; an idle client's memory is a benchmark target).
class PendingTopicIds {
 public:
  enum class For : std::uint8_t { puback, suback };
  void put(For answer, std::uint16_t msg_id, std::uint16_t topic_id);
  /// The topic id recorded for `msg_id` (forgotten now), or 0.
  std::uint16_t take(For answer, std::uint16_t msg_id);

 private:
  struct Entry {
    For answer;
    std::uint16_t msg_id;
    std::uint16_t topic_id;
  };
  std::vector<Entry> entries_;
};

class GatewaySession {
 public:
  /// `context` outlives the session. `via` is set when the client's datagrams arrive
  /// encapsulated by a forwarder.
  explicit GatewaySession(GatewayContext& context, std::optional<Forwarder> via = std::nullopt);

  /// Emits StartTimer{connect}. Call once when the first datagram of a new client arrives,
  /// before on_datagram. Driver thread.
  void start(Actions& out);
  /// One datagram from the client (encapsulated or not). Emits, depending on the state:
  /// WILLTOPICREQ/WILLMSGREQ, then Deliver{mqtt::Connect}; Deliver{Publish} for PUBLISH
  /// (or PUBACK "invalid topic id" for an unknown id); REGACK for REGISTER;
  /// Deliver{Subscribe}/Deliver{Unsubscribe}; PINGRESP; DISCONNECT and
  /// Deliver{mqtt::Disconnect} + Close; sleep transitions; WILLTOPICRESP/WILLMSGRESP +
  /// UpdateWill; PUBCOMP for PUBREL; acks of gateway messages release the window.
  /// Malformed or unexpected datagrams are dropped and counted, never fatal.
  void on_datagram(std::span<const std::uint8_t> datagram, Actions& out);
  /// A timer started through StartTimer expired. connect/keep_alive/sleep may emit Close
  /// (the client is lost: the broker publishes its will); retry retransmits or, after
  /// max_retries, emits Close.
  void on_timer(TimerKind kind, Actions& out);

  /// Broker's answer to a delivered mqtt::Connect: CONNACK accepted, keep alive timer,
  /// then in-flight messages of `state` are resent (DUP) and its queue drains, one message
  /// at a time. `state` stays owned by the caller until detach(). MQTT-SN has no
  /// session-present flag; `session_present` is accepted for symmetry and ignored.
  void accept(mqtt::SessionState& state, bool session_present, mqtt::Clock::time_point now,
              Actions& out);
  /// Refuses a delivered mqtt::Connect: CONNACK with the MQTT-SN return code for `reason`
  /// (congestion for server busy/unavailable/quota, otherwise "not supported"), Close.
  void refuse(mqtt::Reason reason, Actions& out);
  /// The broker's answer to a delivered packet: Puback -> PUBACK (with the topic id of
  /// the PUBLISH), Pubrec -> PUBREC (an error reason becomes a PUBACK with a return code),
  /// Suback -> SUBACK (granted QoS and, for a non-wildcard name, the topic id),
  /// Unsuback -> UNSUBACK, Disconnect -> disconnect(). Other packets are ignored.
  void send(const mqtt::Packet& packet, Actions& out);
  /// Offers a message for the client. Sent now when the window of one is free, the client
  /// is awake and the topic has an id; otherwise queued (bounded): behind the message in
  /// flight, behind a gateway REGISTER for a topic the client does not know yet, or until
  /// a sleeping client wakes up [MQTT-SN 6.14].
  mqtt::Offer publish(mqtt::Outgoing item, mqtt::Clock::time_point now, Actions& out);
  /// Gateway-initiated end: DISCONNECT, then Close{reason}.
  void disconnect(mqtt::Reason reason, Actions& out);
  /// Returns the session state to its owner; the session no longer touches it.
  mqtt::SessionState* detach();

  /// A PUBLISH with QoS -1 [MQTT-SN 6.8], which needs no connection: the driver tries
  /// this on datagrams from addresses without a session. Only predefined ids (global
  /// table) and short topic names resolve; anything else is nullopt.
  static std::optional<mqtt::Publish> decode_qos_minus_one(std::span<const std::uint8_t> datagram,
                                                           const PredefinedTopics* predefined);

  bool connected() const;  // CONNACK sent and not closing (active, asleep or awake)
  /// The forwarder the client sits behind, or null when it talks to the gateway directly.
  const Forwarder* via() const { return via_.get(); }
  bool asleep() const { return phase_ == Phase::asleep; }
  bool closing() const { return phase_ == Phase::closing; }
  const std::string& client_id() const { return client_id_; }
  /// The broker's name for the client (it assigns one to a CONNECT without).
  void set_client_id(std::string id) { client_id_ = std::move(id); }
  std::uint16_t keep_alive() const { return keep_alive_; }
  /// The gateway's counters (shared by its sessions).
  const GatewayStats& stats() const { return context_->stats; }

 private:
  enum class Phase : std::uint8_t {
    awaiting_connect,
    awaiting_will_topic,
    awaiting_will_message,
    awaiting_accept,
    active,
    asleep,  // [MQTT-SN 6.14]: messages are buffered
    awake,   // woken by PINGREQ: buffered messages go out, then PINGRESP and asleep again
    closing,
  };
  struct TopicRef {
    TopicIdType type;
    std::uint16_t id;
  };
  struct PendingRegister {
    std::uint16_t topic_id;
    std::uint16_t msg_id;
    std::string topic;
  };

  // gateway_session.cpp: dispatch, connection life cycle, sleep, timers.
  void dispatch(Message&& message, Actions& out);
  void handle_connect(Connect&& connect, Actions& out);
  void handle_will_topic(Willtopic&& topic, Actions& out);
  void handle_will_message(Willmsg&& message, Actions& out);
  void finish_connect(Actions& out);
  void handle_disconnect(const Disconnect& disconnect, Actions& out);
  void handle_pingreq(const Pingreq& ping, Actions& out);
  void go_to_sleep(Actions& out);
  void maybe_sleep_again(Actions& out);
  void start_keep_alive(Actions& out);
  void keep_alive_tick(Actions& out);
  void close(mqtt::Reason reason, Actions& out);
  void emit(const Message& message, Actions& out);
  void unexpected();

  // gateway_session_in.cpp: what the client sends and the broker's answers to it.
  void handle_publish(Publish&& publish, Actions& out);
  std::optional<std::string> inbound_topic(const Publish& publish) const;
  void handle_register(const Register& reg, Actions& out);
  void handle_subscribe(Subscribe&& subscribe, Actions& out);
  void handle_unsubscribe(Unsubscribe&& unsubscribe, Actions& out);
  void handle_will_update(Willtopicupd&& update, Actions& out);
  void handle_will_update(Willmsgupd&& update, Actions& out);
  void handle_pubrel(const Pubrel& pubrel, Actions& out);
  void send_ack(std::uint16_t packet_id, mqtt::Reason reason, bool qos2, Actions& out);

  // gateway_session_out.cpp: gateway-to-client messages, the window of one, retries.
  bool can_send() const;
  void pump(Actions& out);
  bool start_register(const std::string& topic, Actions& out);
  void transmit(const mqtt::Outgoing& item, const TopicRef& ref, bool dup, Actions& out);
  std::optional<TopicRef> outbound_topic(const std::string& topic) const;
  void resend_outstanding(Actions& out);
  void on_retry(Actions& out);
  void arm_retry(Actions& out);
  void handle_regack(const Regack& ack, Actions& out);
  void handle_puback(const Puback& ack, Actions& out);
  void handle_pubrec(const Pubrec& ack, Actions& out);
  void handle_pubcomp(const Pubcomp& ack, Actions& out);
  void release_front(Actions& out);
  /// Reports a stored message's change (sent, released, or done with: acked or dropped).
  static void changed(mqtt::OutboundChanged::Kind kind, const mqtt::Outgoing& item, Actions& out);
  /// A name's id, new or known, confirmed; a new one is recorded in the session state.
  std::optional<std::uint16_t> register_topic(const std::string& name, Actions& out);
  /// The client accepted a gateway REGISTER / an id is no longer valid.
  void remember_topic(std::uint16_t id, Actions& out);
  void forget_topic(std::uint16_t id, Actions& out);
  /// Drops the front of the queue / of the in-flight window for good.
  void drop_queued(Actions& out);
  void drop_inflight(Actions& out);

  const GatewayLimits& limits() const { return context_->limits; }
  const PredefinedTopics* predefined() const { return context_->predefined.get(); }
  /// The client's topic ids (in the session state): only while a state is attached.
  TopicRegistry& topic_ids() { return state_->sn_topic_ids; }
  const TopicRegistry& topic_ids() const { return state_->sn_topic_ids; }

  GatewayContext* context_;
  std::unique_ptr<Forwarder> via_;  // most clients are direct: no inline copy
  mqtt::SessionState* state_ = nullptr;
  mqtt::Clock::time_point now_{};
  std::string client_id_;
  std::unique_ptr<mqtt::Connect> pending_connect_;  // from CONNECT to the end of the will dialogue
  std::unique_ptr<PendingRegister> register_pending_;  // gateway REGISTER awaiting REGACK
  PendingTopicIds answer_topic_ids_;
  // The small fields together (no padding between them).
  std::uint16_t keep_alive_ = 0;
  std::uint16_t sleep_duration_ = 0;
  Phase phase_ = Phase::awaiting_connect;
  bool accepted_ = false;  // the broker accepted a CONNECT; later CONNECTs are re-connects
  bool activity_ = false;
  std::uint8_t idle_ticks_ = 0;
  std::uint8_t retries_ = 0;
};

/// MQTT-SN return code for a broker reason [MQTT-SN 5.3.10].
ReturnCode return_code_for(mqtt::Reason reason);

}  // namespace ferry::sn
