// `ferry pub` and `ferry sub`.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <random>

#include <fmt/format.h>

#include "app/blocking_client.hpp"
#include "app/commands.hpp"

namespace ferry::app {
namespace {

using namespace std::chrono_literals;

mqtt::Version parse_version(const std::string& v) {
  if (v == "3.1") {
    return mqtt::Version::v3_1;
  }
  if (v == "3.1.1" || v == "311" || v == "4") {
    return mqtt::Version::v3_1_1;
  }
  if (v == "5" || v == "5.0") {
    return mqtt::Version::v5;
  }
  throw std::runtime_error("unknown protocol version '" + v + "' (3.1, 3.1.1 or 5)");
}

std::string url_of(const ClientOptions& o) {
  return o.url.empty() ? fmt::format("mqtt://{}:{}", o.host, o.port) : o.url;
}

std::unique_ptr<BlockingClient> connect(const ClientOptions& o, const char* prefix) {
  auto version = parse_version(o.version);
  auto client = std::make_unique<BlockingClient>(url_of(o), version);
  mqtt::Connect c;
  c.version = version;
  c.clean_start = o.clean;
  c.keep_alive = o.keep_alive;
  c.client_id = o.client_id;
  if (c.client_id.empty() && version != mqtt::Version::v5) {
    c.client_id = fmt::format("{}-{}-{}", prefix, ::getpid(), std::random_device{}() % 100000);
  }
  if (!o.username.empty()) {
    c.username = o.username;
  }
  if (!o.password.empty()) {
    c.password = o.password;
  }
  if (version == mqtt::Version::v5 && o.session_expiry) {
    c.properties.session_expiry_interval = o.session_expiry;
  }
  client->send(c);
  auto ack = client->expect<mqtt::Connack>(10s);
  if (ack.reason != mqtt::Reason::success) {
    throw std::runtime_error(
        fmt::format("connection refused, reason 0x{:02x}", static_cast<unsigned>(ack.reason)));
  }
  return client;
}

void finish_publish(BlockingClient& client, int qos, std::uint16_t id) {
  if (qos == 1) {
    client.expect<mqtt::Puback>(10s);
  } else if (qos == 2) {
    auto rec = client.expect<mqtt::Pubrec>(10s);
    if (mqtt::is_error(rec.reason)) {
      throw std::runtime_error(
          fmt::format("publish refused, reason 0x{:02x}", static_cast<unsigned>(rec.reason)));
    }
    client.send(mqtt::Pubrel{{id}});
    client.expect<mqtt::Pubcomp>(10s);
  }
}

}  // namespace

int publish_command(const ClientOptions& o) {
  auto client = connect(o, "ferry-pub");
  int count = o.count > 0 ? o.count : 1;
  for (int i = 0; i < count; ++i) {
    mqtt::Publish p;
    p.qos = static_cast<std::uint8_t>(o.qos);
    p.retain = o.retain;
    p.topic = o.topic;
    p.packet_id = o.qos > 0 ? static_cast<std::uint16_t>(i % 65535 + 1) : 0;
    p.payload = std::make_shared<const mqtt::Bytes>(o.message);
    if (client->version() == mqtt::Version::v5) {
      p.properties.user_properties = o.user_properties;
    }
    client->send(p);
    finish_publish(*client, o.qos, p.packet_id);
  }
  client->send(mqtt::Disconnect{});
  return 0;
}

int subscribe_command(const ClientOptions& o) {
  auto client = connect(o, "ferry-sub");
  mqtt::Subscribe s{1, {{o.topic, static_cast<std::uint8_t>(o.qos)}}, {}};
  client->send(s);
  auto ack = client->expect<mqtt::Suback>(10s);
  if (ack.reasons.empty() || mqtt::is_error(ack.reasons.front())) {
    std::cerr << "subscription refused\n";
    return 1;
  }
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<long>(o.timeout_s * 1000));
  int received = 0;
  while (o.count == 0 || received < o.count) {
    auto wait = o.timeout_s > 0 ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                      deadline - std::chrono::steady_clock::now())
                                : std::chrono::milliseconds(o.keep_alive * 500);
    if (o.timeout_s > 0 && wait.count() <= 0) {
      return o.count == 0 ? 0 : 2;  // timed out before --count messages
    }
    auto packet = client->receive(wait);
    if (!packet) {
      if (o.timeout_s == 0) {
        client->send(mqtt::Pingreq{});
      }
      continue;
    }
    if (auto* p = std::get_if<mqtt::Publish>(&*packet)) {
      if (p->qos == 1) {
        client->send(mqtt::Puback{{p->packet_id}});
      } else if (p->qos == 2) {
        client->send(mqtt::Pubrec{{p->packet_id}});
      }
      std::cout << (o.verbose ? p->topic + " " : "") << p->payload_view() << std::endl;
      ++received;
    } else if (auto* rel = std::get_if<mqtt::Pubrel>(&*packet)) {
      client->send(mqtt::Pubcomp{{rel->packet_id}});
    } else if (std::holds_alternative<mqtt::Disconnect>(*packet)) {
      std::cerr << "broker sent DISCONNECT\n";
      return 1;
    }
  }
  client->send(mqtt::Disconnect{});
  return 0;
}

}  // namespace ferry::app
