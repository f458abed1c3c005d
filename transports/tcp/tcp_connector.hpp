// Outgoing TCP connections (Ferry as a client: the standalone gateway's upstream).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "transports/event_loop.hpp"
#include "transports/link.hpp"

namespace ferry::transports {

/// Resolves `host` and connects to `port` on `loop` (TCP_NODELAY on). `done` runs on the
/// loop's thread with the link, or with null and the error. The returned handle cancels
/// the attempt when reset (then `done` is not called).
using ConnectDone = std::function<void(std::unique_ptr<Link>, std::error_code)>;
std::shared_ptr<void> connect_tcp(EventLoop& loop, const std::string& host, std::uint16_t port,
                                  ConnectDone done);

}  // namespace ferry::transports
