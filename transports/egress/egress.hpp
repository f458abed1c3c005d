// transports::egress::Egress: how a shard's batch of pending writes leaves the process.
// The shard gathers, per loop turn, every link with bytes queued (headers encoded per
// subscriber, payloads shared) and submits them in one call, so a backend can batch
// the system calls (io_uring: one submission for the whole batch).
#pragma once

#include <memory>
#include <span>
#include <string>

#include "protocol/byte_chain.hpp"
#include "transports/link.hpp"

namespace ferry::transports::egress {

struct WriteRequest {
  Link* link = nullptr;
  ByteChain* chain = nullptr;  // emptied by submit; completion is the link's on_drained
};

class Egress {
 public:
  virtual ~Egress() = default;
  /// Starts one gather write per request. Shard thread only; each link has no write
  /// outstanding when submitted. Completions arrive as LinkHandler::on_drained.
  virtual void submit(std::span<const WriteRequest> batch) = 0;
  virtual std::string name() const = 0;
};

/// The portable backend: one asynchronous gather write per link through its event loop.
std::unique_ptr<Egress> make_asio_egress();

}  // namespace ferry::transports::egress
