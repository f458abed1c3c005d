// TimerWheel on a real EventLoop: timers fire once, never early, cancel and re-arm work,
// and an owner that goes away takes its timers with it.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <thread>

#include "transports/timer_wheel.hpp"

using namespace ferry::transports;
using Clock = std::chrono::steady_clock;

namespace {

struct Recorder final : WheelTimers {
  Recorder(TimerWheel& wheel, std::map<int, std::vector<Clock::time_point>>& fired, int name)
      : WheelTimers(wheel), fired_(fired), name_(name) {}
  void on_wheel_timer(std::uint8_t kind) override {
    fired_[name_ * 10 + kind].push_back(Clock::now());
  }
  std::map<int, std::vector<Clock::time_point>>& fired_;
  int name_;
};

/// Runs the loop for `ms` on this thread.
void run_for(EventLoop& loop, int ms) {
  Timer stop(loop);
  stop.start(static_cast<std::uint32_t>(ms), [&] { loop.stop(); });
  loop.run();
}

}  // namespace

TEST_CASE("timer wheel: fires once, not early; cancel and re-arm", "[timer_wheel]") {
  EventLoop loop;
  TimerWheel wheel(loop, 10, 8);  // 8 slots of 10 ms: 300 ms wraps the wheel
  std::map<int, std::vector<Clock::time_point>> fired;
  Recorder a(wheel, fired, 1);
  auto start = Clock::now();
  a.arm(0, 300);  // several rounds of the wheel
  a.arm(1, 20);
  a.cancel(1);
  a.arm(2, 50);
  a.arm(2, 120);  // replaces the 50 ms one
  CHECK(wheel.armed() == 2);
  run_for(loop, 450);
  REQUIRE(fired[10].size() == 1);
  CHECK(fired[10][0] - start >= std::chrono::milliseconds(300));
  CHECK(fired[11].empty());
  REQUIRE(fired[12].size() == 1);
  CHECK(fired[12][0] - start >= std::chrono::milliseconds(120));
  CHECK(wheel.armed() == 0);
}

TEST_CASE("timer wheel: a destroyed owner's timers never fire", "[timer_wheel]") {
  EventLoop loop;
  TimerWheel wheel(loop, 10, 16);
  std::map<int, std::vector<Clock::time_point>> fired;
  Recorder keep(wheel, fired, 1);
  keep.arm(0, 30);
  {
    Recorder gone(wheel, fired, 2);
    gone.arm(0, 30);
    gone.arm(3, 40);
  }
  CHECK(wheel.armed() == 1);
  run_for(loop, 120);
  CHECK(fired[10].size() == 1);
  CHECK(fired[20].empty());
  CHECK(fired[23].empty());
}
