// transports::Link and Listener: how bytes move, whatever the transport. No Asio here, so
// the broker can hold Links without compiling Asio.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <system_error>

#include "protocol/byte_chain.hpp"

namespace ferry::transports {

struct LinkInfo {
  enum class Kind : std::uint8_t { stream, datagram };
  Kind kind = Kind::stream;
  std::string transport;  // "tcp", "unix", ...
  std::string peer;       // printable peer address
  int native_handle = -1;
};

/// Callbacks of one Link, all called on the Link's own thread.
class LinkHandler {
 public:
  virtual ~LinkHandler() = default;
  /// Bytes arrived; the span is valid only during the call.
  virtual void on_data(std::span<const std::uint8_t> bytes) = 0;
  /// The write started by Link::write has completed; another may start.
  virtual void on_drained() = 0;
  /// The link is closed (peer, error, or close()); no callback follows.
  virtual void on_closed(std::error_code error) = 0;
};

/// One connection. Used from one thread only.
class Link {
 public:
  virtual ~Link() = default;
  /// Starts reading; callbacks go to `handler`, which must outlive the link.
  virtual void start(LinkHandler& handler) = 0;
  /// Takes the chain's bytes (leaving it empty) and writes them with one gather write.
  /// At most one write is outstanding: the caller waits for on_drained before the next.
  virtual void write(ByteChain& chain) = 0;
  /// Closes after pending writes; on_closed follows.
  virtual void close() = 0;
  /// Stops reading until resume_reading() (back-pressure).
  virtual void pause_reading() = 0;
  virtual void resume_reading() = 0;
  virtual const LinkInfo& info() const = 0;
};

/// Accepts links on one shard's event loop.
class Listener {
 public:
  using AcceptHandler = std::function<void(std::unique_ptr<Link>)>;
  virtual ~Listener() = default;
  /// Starts accepting; links go to the shard sinks given when it was opened.
  virtual void start() = 0;
  virtual void stop() = 0;
  /// Printable local address, with the port actually bound (ephemeral ports resolved).
  virtual std::string local_address() const = 0;
};

}  // namespace ferry::transports
