// A hashed timer wheel: many coarse timers (MQTT-SN keep alive, retry, sleep) on one
// loop for the price of one asio timer. Each armed timer costs its owner 4 bytes of due
// tick plus a 16-byte slot entry, where an asio timer costs ~300 bytes with its pending
// wait: thousands of sensors are thousands of timers. Loop thread only.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "transports/event_loop.hpp"

namespace ferry::transports {

class TimerWheel;

/// Something with up to four wheel timers ("kinds"). Its destructor cancels them.
class WheelTimers {
 public:
  static constexpr std::size_t kinds = 4;
  explicit WheelTimers(TimerWheel& wheel) : wheel_(wheel) {}
  virtual ~WheelTimers();
  WheelTimers(const WheelTimers&) = delete;
  WheelTimers& operator=(const WheelTimers&) = delete;

  /// Fires timer `kind` about `ms` from now (rounded up to the wheel's tick), replacing
  /// any pending one of that kind.
  void arm(std::uint8_t kind, std::uint32_t ms);
  void cancel(std::uint8_t kind);
  void cancel_all();

 protected:
  virtual void on_wheel_timer(std::uint8_t kind) = 0;

 private:
  friend class TimerWheel;
  TimerWheel& wheel_;
  std::array<std::uint32_t, kinds> due_{};  // tick when each kind fires; 0 = not armed
};

class TimerWheel {
 public:
  TimerWheel(EventLoop& loop, std::uint32_t tick_ms = 50, std::uint32_t slots = 512);
  ~TimerWheel();
  std::uint32_t tick_ms() const { return tick_ms_; }
  std::size_t armed() const { return armed_; }

 private:
  friend class WheelTimers;
  struct Entry {
    WheelTimers* owner;
    std::uint8_t kind;
  };
  void add(WheelTimers& owner, std::uint8_t kind, std::uint32_t due);
  void remove(WheelTimers& owner, std::uint8_t kind, std::uint32_t due);
  void turn();
  void schedule_turn();

  Timer timer_;
  std::uint32_t tick_ms_;
  std::vector<std::vector<Entry>> slots_;
  std::chrono::steady_clock::time_point last_turn_{};
  std::uint32_t now_ = 1;  // ticks since start; due 0 means "not armed"
  std::size_t armed_ = 0;
  bool running_ = false;
};

}  // namespace ferry::transports
