// Asio side of EventLoop; included only by transport implementation files.
#pragma once

#include <boost/asio/io_context.hpp>

#include "transports/event_loop.hpp"

namespace ferry::transports {

struct EventLoop::Impl {
  boost::asio::io_context io{1};
  std::atomic<const void*> running_thread{nullptr};
};

inline boost::asio::io_context& io_of(EventLoop& loop) {
  return loop.impl().io;
}

}  // namespace ferry::transports
