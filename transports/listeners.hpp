// Creates the listeners of one configured endpoint across the shards' event loops.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transports/event_loop.hpp"
#include "transports/link.hpp"

namespace ferry::transports {

struct ListenerOptions {
  std::string transport = "tcp";  // tcp | unix
  std::string bind;               // host:port, [v6]:port, or a socket path for unix
  std::optional<int> send_buffer;
  std::optional<int> receive_buffer;
  bool nodelay = true;
  bool keepalive = false;
  bool reuseport = true;
  int backlog = 1024;
  std::string unix_mode;  // octal permissions for the socket file, empty = umask default
};

/// Where accepted links go: one entry per shard. `on_accept` runs on `loop`'s thread.
struct ShardSink {
  EventLoop* loop = nullptr;
  Listener::AcceptHandler on_accept;
};

/// Binds `options` and starts accepting. TCP with reuseport gets one acceptor per shard
/// (SO_REUSEPORT, the kernel spreads connections); otherwise one acceptor on the first
/// shard hands links round-robin to every shard. Throws std::runtime_error naming the
/// address on failure (address in use, permission, bad address).
std::vector<std::unique_ptr<Listener>> open_listeners(const ListenerOptions& options,
                                                      const std::vector<ShardSink>& shards);

}  // namespace ferry::transports
