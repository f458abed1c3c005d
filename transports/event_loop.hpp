// One shard's event loop and its timers, without Asio in the header.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace ferry::transports {

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// Queues `task` to run on the loop's thread; callable from any thread. Tasks posted
  /// from one thread run in the order posted.
  void post(std::function<void()> task);
  /// Runs until stop(); returns when stopped.
  void run();
  /// Makes run() return; callable from any thread.
  void stop();
  /// Whether the calling thread is the one running this loop.
  bool running_here() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

/// A one-shot timer on a loop; restart() replaces any pending expiry. Loop thread only.
class Timer {
 public:
  explicit Timer(EventLoop& loop);
  ~Timer();
  void start(std::uint32_t ms, std::function<void()> on_expiry);
  void cancel();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::transports
