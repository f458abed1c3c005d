// `ferry run` and `ferry check`: load the config, start shards and listeners, wait for a
// signal, shut down cleanly.
#include "app/commands.hpp"
#include "app/gateway_mode.hpp"

#include <csignal>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "broker/broker.hpp"
#include "broker/shard.hpp"
#include "broker/sn_gateway.hpp"
#include "config/config.hpp"
#include "storage/sqlite/sqlite_storage.hpp"
#include "transports/listeners.hpp"
#include "transports/udp/datagram_socket.hpp"

namespace ferry::app {
namespace {

void setup_logging(const config::ServerConfig& server) {
  auto logger = spdlog::stderr_color_mt("ferry");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(server.log_level));
  if (server.log_format == config::LogFormat::json) {
    spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","msg":"%v"})");
  } else {
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  }
}

broker::BrokerOptions broker_options(const config::Config& c) {
  broker::BrokerOptions o;
  o.threads =
      c.server.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : c.server.threads;
  o.limits.max_packet_size = c.limits.max_packet_size;
  o.limits.receive_maximum = c.limits.receive_maximum;
  o.limits.topic_alias_maximum = c.limits.topic_alias_maximum;
  o.limits.max_keepalive = c.server.max_keepalive;
  o.limits.connect_timeout_ms = c.limits.connect_timeout_ms;
  o.limits.max_inflight =
      static_cast<std::uint16_t>(std::min(c.limits.max_inflight_messages, 65535u));
  o.limits.max_queued_messages = c.limits.max_queued_messages;
  o.limits.max_queued_bytes = c.limits.max_queued_bytes;
  o.allow_anonymous = c.auth.allow_anonymous;
  o.max_connections = c.limits.max_connections;
  o.max_session_expiry = c.limits.max_session_expiry;
  return o;
}

transports::ListenerOptions listener_options(const config::Config& c,
                                             const config::ListenerConfig& l) {
  transports::ListenerOptions o;
  o.transport = l.transport;
  o.bind = l.transport == "unix" ? config::resolve_path(c, l.bind) : l.bind;
  o.send_buffer = l.send_buffer;
  o.receive_buffer = l.receive_buffer;
  o.nodelay = l.nodelay;
  o.keepalive = l.keepalive;
  o.reuseport = l.reuseport;
  o.backlog = l.backlog;
  o.unix_mode = l.unix_mode;
  return o;
}

/// Where one listener's links go: every shard, through the listener's connection limit.
std::vector<transports::ShardSink> sinks_for(broker::Broker& broker, std::uint32_t limit) {
  auto slots = limit ? std::make_shared<std::atomic<std::uint32_t>>(0) : nullptr;
  std::vector<transports::ShardSink> sinks;
  for (std::size_t i = 0; i < broker.shard_count(); ++i) {
    broker::Shard* shard = &broker.shard(i);
    sinks.push_back({&shard->loop(), [shard, slots, limit, &broker](auto link) {
                       if (slots && slots->fetch_add(1) >= limit) {
                         slots->fetch_sub(1);
                         broker::Metrics::add(broker.metrics().connections_refused);
                         link->close();  // over this listener's max_connections
                         return;
                       }
                       shard->adopt(std::move(link), slots);
                     }});
  }
  return sinks;
}

std::shared_ptr<const sn::PredefinedTopics> predefined_topics(const config::MqttSnConfig& c) {
  auto topics = std::make_shared<sn::PredefinedTopics>();
  for (const auto& p : c.predefined) {
    if (p.client.empty()) {
      topics->add(p.id, p.topic);
    } else {
      topics->add(p.client, p.id, p.topic);
    }
  }
  return topics;
}

constexpr int k_sn_receive_buffer = 4 << 20;

/// One MQTT-SN gateway per shard, each with its own socket on the listener's port: the
/// kernel sends a client's datagrams always to the same one. Only the first advertises.
std::vector<std::unique_ptr<broker::SnGateway>> open_gateways(const config::Config& c,
                                                              const config::ListenerConfig& l,
                                                              broker::Broker& broker) {
  broker::SnGatewayOptions o;
  o.gateway_id = static_cast<std::uint8_t>(l.gateway_id);
  o.advertise_interval_s = l.advertise_interval_s;
  o.limits.connect_timeout_ms = c.limits.connect_timeout_ms;
  o.limits.retry_ms = c.mqttsn.retry_ms;
  o.limits.max_retries = static_cast<std::uint8_t>(c.mqttsn.max_retries);
  o.limits.max_queued_messages = c.mqttsn.max_queued_messages;
  o.predefined = predefined_topics(c.mqttsn);
  std::string error;
  o.allow = *transports::AddressFilter::parse(l.allow, error);  // checked when loaded
  configure_sn_listener(c, o);
  std::vector<transports::EventLoop*> loops;
  for (std::size_t i = 0; i < broker.shard_count(); ++i) {
    loops.push_back(&broker.shard(i).loop());
  }
  // One socket takes the bursts of thousands of sensors (acks, wake-ups): a larger
  // receive buffer than the kernel's default unless the listener sets one.
  transports::DatagramOptions buffers{l.receive_buffer.value_or(k_sn_receive_buffer),
                                      l.send_buffer.value_or(0)};
  if (!l.broadcast.empty()) {
    o.broadcast = transports::resolve_peer(l.broadcast);
    buffers.multicast_group = o.broadcast;  // joined when it is a multicast group
  }
  if (loops.size() > 1) {  // a broadcast SEARCHGW reaches every shard's socket
    o.searchgw_replies = std::make_shared<broker::SearchgwReplies>();
  }
  auto sockets = transports::open_udp_group(loops, l.bind, buffers);
  std::vector<std::unique_ptr<broker::SnGateway>> gateways;
  for (std::size_t i = 0; i < sockets.size(); ++i) {
    broker::SnGatewayOptions options = o;
    options.advertises = i == 0;
    gateways.push_back(std::make_unique<broker::SnGateway>(broker.shard(i), std::move(sockets[i]),
                                                           std::move(options)));
    gateways.back()->start();
  }
  spdlog::info("listening on mqttsn {} (gateway id {}, discovery {}, {} socket{})",
               gateways.front()->local_address(), l.gateway_id,
               l.broadcast.empty() ? "off" : "to " + l.broadcast, gateways.size(),
               gateways.size() == 1 ? "" : "s");
  return gateways;
}

struct Endpoints {
  std::vector<std::unique_ptr<transports::Listener>> listeners;
  std::vector<std::unique_ptr<broker::SnGateway>> gateways;
  void stop() {
    for (auto& listener : listeners) {
      listener->stop();
    }
    for (auto& gateway : gateways) {
      gateway->stop();
    }
  }
};

Endpoints open_all(const config::Config& c, broker::Broker& broker) {
  Endpoints all;
  for (const auto& l : c.listeners) {
    if (l.transport == "mqttsn") {
      for (auto& gateway : open_gateways(c, l, broker)) {
        all.gateways.push_back(std::move(gateway));
      }
      continue;
    }
    auto opened =
        transports::open_listeners(listener_options(c, l), sinks_for(broker, l.max_connections));
    spdlog::info("listening on {} {} ({} acceptor{})", l.transport, opened.front()->local_address(),
                 opened.size(), opened.size() == 1 ? "" : "s");
    for (auto& listener : opened) {
      listener->start();
      all.listeners.push_back(std::move(listener));
    }
  }
  return all;
}

broker::SyncPolicy sync_policy(const config::StorageConfig& s) {
  if (s.sync == "periodic") {
    return broker::SyncPolicy::periodic;
  }
  return s.sync == "off" ? broker::SyncPolicy::off : broker::SyncPolicy::ack;
}

/// backend = "memory" keeps everything in the broker's own structures: no Storage.
std::unique_ptr<storage::Storage> open_storage(const config::Config& c) {
  if (c.storage.backend == "memory") {
    return nullptr;
  }
  storage::SqliteOptions options;
  options.file = std::filesystem::path(c.server.data_dir) / "ferry.db";
  options.sync = c.storage.sync == "periodic" ? storage::SqliteOptions::Sync::periodic
                 : c.storage.sync == "off"    ? storage::SqliteOptions::Sync::off
                                              : storage::SqliteOptions::Sync::ack;
  options.sync_interval_ms = c.storage.sync_interval_ms;
  spdlog::info("storage: sqlite {} (sync = {})", options.file.string(), c.storage.sync);
  return std::make_unique<storage::SqliteStorage>(options);
}

int wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

}  // namespace

config::Config load(const std::string& path) {
  auto env = config::environment_overrides();
  if (path.empty()) {
    return config::default_config();
  }
  return config::load_config(path, env);
}

int run_broker(const std::string& config_path) {
  config::Config c = load(config_path);
  setup_logging(c.server);
  std::filesystem::create_directories(c.server.data_dir);
  if (c.auth.allow_anonymous) {
    spdlog::warn("anonymous access is allowed: any client may connect ([auth] allow_anonymous)");
  }
  sigset_t set;  // block before any thread starts, so only sigwait sees them
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  check_gateway(c);
  broker::Broker broker(broker_options(c), open_storage(c), sync_policy(c.storage));
  broker.restore();
  Endpoints endpoints = open_all(c, broker);
  start_bridge(c, broker);
  broker.start();
  spdlog::info("ferry {} running with {} shard{} (config {})", FERRY_VERSION, broker.shard_count(),
               broker.shard_count() == 1 ? "" : "s", c.source);
  int signal = wait_for_signal();
  spdlog::info("received {}, shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
  broker.stop();
  endpoints.stop();
  spdlog::info("stopped");
  return 0;
}

int check_config(const std::string& config_path) {
  config::Config c = load(config_path);
  check_gateway(c);
  std::cout << fmt::format("{}: ok ({} listener{})\n", c.source, c.listeners.size(),
                           c.listeners.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace ferry::app
