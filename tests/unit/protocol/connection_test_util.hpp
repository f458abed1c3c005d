// Helpers for protocol::Connection tests: a connection with its session state, feeding
// encoded packets, decoding what the server wrote and picking events out of Actions.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/mqtt/codec.hpp"
#include "protocol/mqtt/connection.hpp"

namespace ferry::mqtt::test {

inline std::span<const std::uint8_t> bytes_span(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline std::string wire_of(const Packet& p, Version v) {
  std::string out;
  encode(p, v, out);
  return out;
}

/// Splits a byte stream written by the server into packets; every one must decode.
inline std::vector<Packet> decode_stream(std::string_view bytes, Version v) {
  std::vector<Packet> packets;
  auto span = bytes_span(bytes);
  while (!span.empty()) {
    const Frame frame = scan_frame(span, 0);
    REQUIRE(frame.status == Frame::Status::ok);
    REQUIRE(frame.total_size() <= span.size());
    Decoded d = decode(frame, span.subspan(frame.header_size, frame.remaining_length), v);
    INFO("server packet type " << (frame.first_byte >> 4));
    REQUIRE(d.reason == Reason::success);
    packets.push_back(std::move(d.packet));
    span = span.subspan(frame.total_size());
  }
  return packets;
}

inline std::vector<PacketType> types_of(const std::vector<Packet>& packets) {
  std::vector<PacketType> types;
  for (const auto& p : packets) {
    types.push_back(type_of(p));
  }
  return types;
}

inline std::vector<Packet> delivered(const Actions& a) {
  std::vector<Packet> out;
  for (const auto& e : a.events) {
    if (const auto* d = std::get_if<Deliver>(&e)) {
      out.push_back(d->packet);
    }
  }
  return out;
}

inline std::vector<StartTimer> timers(const Actions& a) {
  std::vector<StartTimer> out;
  for (const auto& e : a.events) {
    if (const auto* t = std::get_if<StartTimer>(&e)) {
      out.push_back(*t);
    }
  }
  return out;
}

/// The reason of the (single) Close event, if any.
inline std::optional<Reason> close_reason(const Actions& a) {
  std::optional<Reason> reason;
  int closes = 0;
  for (const auto& e : a.events) {
    if (const auto* c = std::get_if<Close>(&e)) {
      reason = c->reason;
      ++closes;
    }
  }
  CHECK(closes <= 1);
  return reason;
}

inline SharedBytes payload_of(std::string text) {
  return std::make_shared<const Bytes>(std::move(text));
}

inline Publish make_publish(std::string topic, std::uint8_t qos, std::uint16_t id,
                            std::string payload = "data") {
  Publish p;
  p.topic = std::move(topic);
  p.qos = qos;
  p.packet_id = qos > 0 ? id : 0;
  p.payload = payload_of(std::move(payload));
  return p;
}

inline MessagePtr make_message(std::string topic, std::string payload, std::uint8_t qos = 1) {
  auto m = std::make_shared<Message>();
  m->topic = std::move(topic);
  m->payload = payload_of(std::move(payload));
  m->qos = qos;
  return m;
}

inline Outgoing outgoing(MessagePtr m, std::uint8_t qos) {
  Outgoing o;
  o.message = std::move(m);
  o.qos = qos;
  return o;
}

/// One Connection and the session state lent to it. Not movable: the Connection keeps
/// a pointer to `state` after accept().
struct Peer {
  ConnectionLimits limits;
  Connection conn;
  SessionState state;
  Actions out;
  Version version;
  Clock::time_point now = Clock::time_point{} + std::chrono::hours(24);

  explicit Peer(Version v, ConnectionLimits l = {}) : limits(l), conn(l), version(v) {}
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  void feed_raw(std::string_view bytes) { conn.on_bytes(bytes_span(bytes), out); }
  void feed(const Packet& p) { feed_raw(wire_of(p, version)); }

  Connect connect_packet(std::uint16_t keep_alive = 0, Properties props = {}) const {
    Connect c;
    c.version = version;
    c.client_id = "client-1";
    c.keep_alive = keep_alive;
    c.properties = std::move(props);
    return c;
  }

  /// start(), CONNECT; leaves the Deliver{Connect} in `out`.
  void send_connect(const Connect& c) {
    conn.start(out);
    feed(c);
  }

  void accept(bool session_present = false, Properties props = {}) {
    conn.accept(state, session_present, std::move(props), now, out);
  }

  /// CONNECT + accept, then clears `out`.
  void establish(const Connect& c) {
    send_connect(c);
    REQUIRE(delivered(out).size() == 1);
    REQUIRE_FALSE(close_reason(out));
    accept();
    REQUIRE(conn.connected());
    out.clear();
  }
  void establish(std::uint16_t keep_alive = 0, Properties props = {}) {
    establish(connect_packet(keep_alive, std::move(props)));
  }

  std::vector<Packet> sent() const { return decode_stream(out.bytes.flatten(), version); }

  /// The single packet written; fails unless exactly one was.
  Packet only_sent() const {
    auto packets = sent();
    REQUIRE(packets.size() == 1);
    return packets.front();
  }

  Offer publish(MessagePtr m, std::uint8_t qos) {
    return conn.publish(outgoing(std::move(m), qos), now, out);
  }
};

inline std::string describe(const std::vector<PacketType>& types) {
  std::string s;
  for (auto t : types) {
    s += std::to_string(static_cast<int>(t)) + " ";
  }
  return s;
}

}  // namespace ferry::mqtt::test
