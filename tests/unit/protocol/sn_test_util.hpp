// Helpers for MQTT-SN tests: datagrams from byte lists, a gateway session with its
// session state, and picking datagrams and events out of Actions.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/sn/codec.hpp"
#include "protocol/sn/gateway_session.hpp"

namespace ferry::sn::test {

inline std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) {
    out.push_back(static_cast<char>(v));
  }
  return out;
}

inline std::span<const std::uint8_t> span_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline Flags qos_flags(int qos, TopicIdType type = TopicIdType::normal, bool retain = false) {
  Flags f;
  f.qos = static_cast<std::int8_t>(qos);
  f.topic_id_type = type;
  f.retain = retain;
  return f;
}

/// Every datagram the session wrote, decoded; each one must decode.
inline std::vector<Message> sent(const Actions& a) {
  std::vector<Message> out;
  for (const auto& d : a.datagrams) {
    Decoded decoded = decode(d);
    INFO("datagram error " << to_string(decoded.error));
    REQUIRE(decoded.ok());
    out.push_back(std::move(decoded.message));
  }
  return out;
}

inline std::vector<MsgType> sent_types(const Actions& a) {
  std::vector<MsgType> types;
  for (const auto& m : sent(a)) {
    types.push_back(type_of(m));
  }
  return types;
}

template <class T>
T only_sent(const Actions& a) {
  auto messages = sent(a);
  REQUIRE(messages.size() == 1);
  REQUIRE(std::holds_alternative<T>(messages[0]));
  return std::get<T>(messages[0]);
}

inline std::vector<mqtt::Packet> delivered(const Actions& a) {
  std::vector<mqtt::Packet> out;
  for (const auto& e : a.events) {
    if (const auto* d = std::get_if<mqtt::Deliver>(&e)) {
      out.push_back(d->packet);
    }
  }
  return out;
}

template <class T>
T only_delivered(const Actions& a) {
  auto packets = delivered(a);
  REQUIRE(packets.size() == 1);
  REQUIRE(std::holds_alternative<T>(packets[0]));
  return std::get<T>(packets[0]);
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

inline bool has_timer(const Actions& a, TimerKind kind) {
  for (const auto& t : timers(a)) {
    if (t.kind == kind) {
      return true;
    }
  }
  return false;
}

inline std::vector<WillUpdate> will_updates(const Actions& a) {
  std::vector<WillUpdate> out;
  for (const auto& e : a.events) {
    if (const auto* u = std::get_if<UpdateWill>(&e)) {
      out.push_back(u->update);
    }
  }
  return out;
}

inline std::optional<mqtt::Reason> close_reason(const Actions& a) {
  for (const auto& e : a.events) {
    if (const auto* c = std::get_if<mqtt::Close>(&e)) {
      return c->reason;
    }
  }
  return std::nullopt;
}

inline mqtt::MessagePtr message(std::string topic, std::string payload, std::uint8_t qos = 0) {
  auto m = std::make_shared<mqtt::Message>();
  m->topic = std::move(topic);
  m->payload = std::make_shared<const mqtt::Bytes>(std::move(payload));
  m->qos = qos;
  return m;
}

/// A session driven the way the broker's driver would: each call returns its Actions.
struct Harness {
  GatewayLimits limits;
  std::shared_ptr<PredefinedTopics> predefined = std::make_shared<PredefinedTopics>();
  std::optional<Forwarder> via;
  GatewayContext context;  // built from the fields above by create()
  std::unique_ptr<GatewaySession> session;
  mqtt::SessionState state;
  mqtt::Clock::time_point now = mqtt::Clock::now();

  Harness() { limits.retry_ms = 5000; }
  void create() {
    context.limits = limits;
    context.predefined = predefined;
    session = std::make_unique<GatewaySession>(context, via);
  }

  Actions start() {
    create();
    Actions a;
    session->start(a);
    return a;
  }
  Actions feed_raw(std::string_view datagram) {
    Actions a;
    session->on_datagram(span_of(datagram), a);
    return a;
  }
  Actions feed(const Message& m) { return feed_raw(encode(m)); }
  Actions timer(TimerKind kind) {
    Actions a;
    session->on_timer(kind, a);
    return a;
  }
  Actions accept() {
    Actions a;
    session->accept(state, false, now, a);
    return a;
  }
  Actions broker_send(const mqtt::Packet& p) {
    Actions a;
    session->send(p, a);
    return a;
  }
  mqtt::Offer offer(const mqtt::MessagePtr& m, std::uint8_t qos, Actions& a) {
    mqtt::Outgoing item;
    item.message = m;
    item.qos = qos;
    return session->publish(std::move(item), now, a);
  }
  /// CONNECT without will, accepted by the broker; returns the accept's actions.
  Actions connect(std::string client_id = "c1", std::uint16_t duration = 60) {
    if (!session) {
      start();
    }
    Connect c;
    c.flags.clean_session = true;
    c.duration = duration;
    c.client_id = std::move(client_id);
    Actions a = feed(c);
    REQUIRE(delivered(a).size() == 1);
    return accept();
  }
};

}  // namespace ferry::sn::test
