// `ferry pub` and `ferry sub` over MQTT-SN 1.2 (mqttsn://host:port): topic by name
// (REGISTER for pub, SUBSCRIBE by name for sub), by predefined id (--topic-id) or as a
// short topic name (--short); QoS -1..2; sleeping subscribers (--sleep).
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/sn_blocking_client.hpp"

namespace ferry::app {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// How the command names its topic on the wire.
struct TopicRef {
  sn::TopicIdType type = sn::TopicIdType::normal;
  std::uint16_t id = 0;  // predefined id or packed short name; normal: from REGACK/SUBACK
};

TopicRef topic_ref(const ClientOptions& o) {
  if (o.topic_id != 0 && o.short_topic) {
    throw std::runtime_error("--topic-id and --short exclude each other");
  }
  if (o.topic_id != 0) {
    return {sn::TopicIdType::predefined, o.topic_id};
  }
  if (o.short_topic) {
    if (o.topic.size() != 2) {
      throw std::runtime_error("--short needs a topic of exactly two characters");
    }
    return {sn::TopicIdType::short_name, sn::short_topic_id(o.topic)};
  }
  if (o.topic.empty()) {
    throw std::runtime_error("a topic is needed: -t NAME, or --topic-id N");
  }
  return {};
}

std::string client_id_of(const ClientOptions& o, const char* prefix) {
  if (!o.client_id.empty()) {
    return o.client_id;
  }
  return fmt::format("{}-{}-{}", prefix, ::getpid(), std::random_device{}() % 100000);
}

template <class T>
bool is(const sn::Message& m) {
  return std::holds_alternative<T>(m);
}

void check(sn::ReturnCode rc, const char* what) {
  if (rc != sn::ReturnCode::accepted) {
    throw std::runtime_error(
        fmt::format("{} refused, return code 0x{:02x}", what, static_cast<unsigned>(rc)));
  }
}

void connect(SnBlockingClient& client, const ClientOptions& o, const std::string& client_id) {
  sn::Connect c;
  c.flags.clean_session = o.clean;
  c.duration = o.keep_alive;
  c.client_id = client_id;
  auto reply = client.request(c, is<sn::Connack>, "CONNACK");
  check(std::get<sn::Connack>(reply).return_code, "connection");
}

/// Sends DISCONNECT and waits briefly for the gateway's; a lost answer is not an error.
void disconnect(SnBlockingClient& client) {
  client.send(sn::Disconnect{});
  auto deadline = Clock::now() + 1s;
  while (Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    auto m = client.receive(left);
    if (!m || is<sn::Disconnect>(*m)) {
      return;
    }
  }
}

std::uint16_t register_topic(SnBlockingClient& client, const std::string& topic,
                             std::uint16_t msg_id) {
  auto match = [msg_id](const sn::Message& m) {
    const auto* ack = std::get_if<sn::Regack>(&m);
    return ack && ack->msg_id == msg_id;
  };
  auto reply = client.request(sn::Register{0, msg_id, topic}, match, "REGACK");
  const auto& ack = std::get<sn::Regack>(reply);
  check(ack.return_code, "REGISTER");
  return ack.topic_id;
}

/// One PUBLISH with its QoS 1/2 handshake; the client retransmits (DUP) on silence.
void publish_one(SnBlockingClient& client, const ClientOptions& o, TopicRef ref,
                 std::uint16_t msg_id) {
  sn::Publish p;
  p.flags.qos = static_cast<std::int8_t>(o.qos);
  p.flags.retain = o.retain;
  p.flags.topic_id_type = ref.type;
  p.topic_id = ref.id;
  p.msg_id = o.qos > 0 ? msg_id : 0;
  p.data = o.message;
  if (o.qos <= 0) {
    client.send(p);
    return;
  }
  auto acked = [msg_id, qos = o.qos](const sn::Message& m) {
    const auto* ack = std::get_if<sn::Puback>(&m);  // QoS 2 errors come as PUBACK too
    const auto* rec = std::get_if<sn::Pubrec>(&m);
    return (ack && ack->msg_id == msg_id) || (qos == 2 && rec && rec->msg_id == msg_id);
  };
  auto reply = client.request(p, acked, o.qos == 1 ? "PUBACK" : "PUBREC");
  if (const auto* ack = std::get_if<sn::Puback>(&reply)) {
    check(ack->return_code, "PUBLISH");
    return;
  }
  auto completed = [msg_id](const sn::Message& m) {
    const auto* comp = std::get_if<sn::Pubcomp>(&m);
    return comp && comp->msg_id == msg_id;
  };
  client.request(sn::Pubrel{msg_id}, completed, "PUBCOMP");
}

}  // namespace

int sn_publish_command(const ClientOptions& o) {
  TopicRef ref = topic_ref(o);
  if (o.qos < 0 && ref.type == sn::TopicIdType::normal) {
    throw std::runtime_error("QoS -1 needs a predefined topic id (--topic-id) or --short");
  }
  SnBlockingClient client(o.url);
  int count = o.count > 0 ? o.count : 1;
  std::uint16_t msg_id = 1;
  if (o.qos >= 0) {
    connect(client, o, client_id_of(o, "ferry-pub"));
    if (ref.type == sn::TopicIdType::normal) {
      ref.id = register_topic(client, o.topic, msg_id++);
    }
  }
  for (int i = 0; i < count; ++i) {
    publish_one(client, o, ref, msg_id);
    msg_id = static_cast<std::uint16_t>(msg_id % 0xFFFF + 1);
  }
  if (o.qos >= 0) {
    disconnect(client);
  }
  return 0;
}

namespace {

/// The subscriber side: answers gateway REGISTERs and PUBLISH handshakes, prints payloads.
class Receiver {
 public:
  Receiver(SnBlockingClient& client, const ClientOptions& o) : client_(client), o_(o) {}

  void learn(std::uint16_t id, const std::string& name) { names_[id] = name; }
  int received() const { return received_; }
  bool done() const { return o_.count > 0 && received_ >= o_.count; }

  /// Handles one message from the gateway; returns false for a gateway DISCONNECT.
  bool handle(const sn::Message& m) {
    if (const auto* reg = std::get_if<sn::Register>(&m)) {
      names_[reg->topic_id] = reg->topic_name;
      client_.send(sn::Regack{reg->topic_id, reg->msg_id, sn::ReturnCode::accepted});
    } else if (const auto* p = std::get_if<sn::Publish>(&m)) {
      on_publish(*p);
    } else if (const auto* rel = std::get_if<sn::Pubrel>(&m)) {
      awaiting_release_.erase(rel->msg_id);
      client_.send(sn::Pubcomp{rel->msg_id});
    } else if (is<sn::Disconnect>(m)) {
      return false;
    }
    return true;
  }

 private:
  std::optional<std::string> topic_of(const sn::Publish& p) const {
    switch (p.flags.topic_id_type) {
      case sn::TopicIdType::short_name:
        return sn::short_topic_name(p.topic_id);
      case sn::TopicIdType::predefined:
        if (p.topic_id == o_.topic_id && !o_.topic.empty()) {
          return o_.topic;
        }
        return fmt::format("predefined:{}", p.topic_id);
      default: {
        auto it = names_.find(p.topic_id);
        return it == names_.end() ? std::nullopt : std::optional<std::string>(it->second);
      }
    }
  }

  void on_publish(const sn::Publish& p) {
    auto topic = topic_of(p);
    if (!topic) {  // [MQTT-SN 6.10]: unknown topic id
      if (p.flags.qos > 0) {
        client_.send(sn::Puback{p.topic_id, p.msg_id, sn::ReturnCode::invalid_topic_id});
      }
      return;
    }
    if (p.flags.qos == 1) {
      client_.send(sn::Puback{p.topic_id, p.msg_id, sn::ReturnCode::accepted});
    } else if (p.flags.qos == 2) {
      client_.send(sn::Pubrec{p.msg_id});
      if (!awaiting_release_.insert(p.msg_id).second) {
        return;  // a retransmission of a message already printed
      }
    }
    std::cout << (o_.verbose ? *topic + " " : "") << p.data << std::endl;
    ++received_;
  }

  SnBlockingClient& client_;
  const ClientOptions& o_;
  std::unordered_map<std::uint16_t, std::string> names_;
  std::set<std::uint16_t> awaiting_release_;
  int received_ = 0;
};

void subscribe(SnBlockingClient& client, const ClientOptions& o, Receiver& receiver) {
  TopicRef ref = topic_ref(o);
  sn::Subscribe s;
  s.flags.qos = static_cast<std::int8_t>(o.qos);
  s.flags.topic_id_type = ref.type;
  s.msg_id = 1;
  s.topic_name = ref.type == sn::TopicIdType::normal ? o.topic : "";
  s.topic_id = ref.id;
  auto match = [](const sn::Message& m) {
    const auto* ack = std::get_if<sn::Suback>(&m);
    return ack && ack->msg_id == 1;
  };
  auto reply = client.request(s, match, "SUBACK");
  const auto& ack = std::get<sn::Suback>(reply);
  check(ack.return_code, "subscription");
  if (ref.type == sn::TopicIdType::normal && ack.topic_id != 0) {
    receiver.learn(ack.topic_id, o.topic);
  }
}

std::chrono::milliseconds until(Clock::time_point t) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(t - Clock::now());
  return left.count() > 0 ? left : 0ms;
}

/// Awake subscriber: receive until --count or --timeout, PINGREQ when idle.
int run_awake(SnBlockingClient& client, const ClientOptions& o, Receiver& receiver) {
  auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<long>(o.timeout_s * 1000));
  auto ping_every = std::chrono::milliseconds(std::max<int>(o.keep_alive, 1) * 500);
  auto last_ping = Clock::now();
  while (!receiver.done()) {
    auto wait = ping_every;
    if (o.timeout_s > 0) {
      if (until(deadline).count() == 0) {
        return o.count == 0 ? 0 : 2;  // timed out before --count messages
      }
      wait = std::min(wait, until(deadline));
    }
    auto m = client.receive(wait);
    if (m && !receiver.handle(*m)) {
      std::cerr << "gateway sent DISCONNECT\n";
      return 1;
    }
    if (!m && Clock::now() - last_ping >= ping_every) {
      client.send(sn::Pingreq{});
      last_ping = Clock::now();
    }
  }
  disconnect(client);
  return 0;
}

/// One wake-up of a sleeping client [MQTT-SN 6.14]: PINGREQ(ClientId), buffered messages,
/// then PINGRESP. The PINGREQ is resent when the gateway stays silent.
bool wake_once(SnBlockingClient& client, const std::string& client_id, Receiver& receiver) {
  for (int attempt = 0; attempt < SnBlockingClient::max_attempts; ++attempt) {
    client.send(sn::Pingreq{client_id});
    while (auto m = client.receive(SnBlockingClient::retry_interval)) {
      if (is<sn::Pingresp>(*m)) {
        return true;
      }
      if (!receiver.handle(*m)) {
        return false;
      }
    }
  }
  throw std::runtime_error("no PINGRESP from the gateway");
}

int run_asleep(SnBlockingClient& client, const ClientOptions& o, const std::string& client_id,
               Receiver& receiver) {
  auto duration = static_cast<std::uint16_t>(std::max(o.sleep_s, 1));
  client.request(sn::Disconnect{duration}, is<sn::Disconnect>, "DISCONNECT");
  auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<long>(o.timeout_s * 1000));
  while (!receiver.done()) {
    auto nap = std::chrono::milliseconds(duration * 1000);
    if (o.timeout_s > 0) {
      if (until(deadline).count() == 0) {
        disconnect(client);
        return o.count == 0 ? 0 : 2;
      }
      nap = std::min(nap, until(deadline));
    }
    std::this_thread::sleep_for(nap);
    if (!wake_once(client, client_id, receiver)) {
      std::cerr << "gateway sent DISCONNECT\n";
      return 1;
    }
  }
  disconnect(client);
  return 0;
}

}  // namespace

int sn_subscribe_command(const ClientOptions& o) {
  if (o.qos < 0) {
    throw std::runtime_error("QoS -1 is for publishing only");
  }
  SnBlockingClient client(o.url);
  std::string client_id = client_id_of(o, "ferry-sub");
  connect(client, o, client_id);
  Receiver receiver(client, o);
  subscribe(client, o, receiver);
  if (o.sleep_s > 0) {
    return run_asleep(client, o, client_id, receiver);
  }
  return run_awake(client, o, receiver);
}

}  // namespace ferry::app
