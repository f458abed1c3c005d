#include "transports/listeners.hpp"

#include <stdexcept>

#include "transports/tcp/tcp_listener.hpp"
#include "transports/unix/unix_listener.hpp"

namespace ferry::transports {

std::vector<std::unique_ptr<Listener>> open_listeners(const ListenerOptions& options,
                                                      const std::vector<ShardSink>& shards) {
  if (shards.empty()) {
    throw std::runtime_error("open_listeners: no shards");
  }
  if (options.transport == "tcp") {
    return open_tcp_listeners(options, shards);
  }
  if (options.transport == "unix") {
    return open_unix_listeners(options, shards);
  }
  throw std::runtime_error("listener " + options.bind + ": transport '" + options.transport +
                           "' is not available in this build");
}

}  // namespace ferry::transports
