#pragma once

#include "transports/listeners.hpp"

namespace ferry::transports {

std::vector<std::unique_ptr<Listener>> open_unix_listeners(const ListenerOptions& options,
                                                           const std::vector<ShardSink>& shards);

}  // namespace ferry::transports
