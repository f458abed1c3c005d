#include "transports/timer_wheel.hpp"

#include <algorithm>

namespace ferry::transports {

WheelTimers::~WheelTimers() {
  cancel_all();
}

void WheelTimers::arm(std::uint8_t kind, std::uint32_t ms) {
  cancel(kind);
  std::uint32_t ticks = std::max<std::uint32_t>(1, (ms + wheel_.tick_ms() - 1) / wheel_.tick_ms());
  due_[kind] = wheel_.now_ + ticks + 1;  // late by up to a tick, never early
  wheel_.add(*this, kind, due_[kind]);
}

void WheelTimers::cancel(std::uint8_t kind) {
  if (due_[kind] != 0) {
    wheel_.remove(*this, kind, due_[kind]);
    due_[kind] = 0;
  }
}

void WheelTimers::cancel_all() {
  for (std::uint8_t kind = 0; kind < kinds; ++kind) {
    cancel(kind);
  }
}

TimerWheel::TimerWheel(EventLoop& loop, std::uint32_t tick_ms, std::uint32_t slots)
    : timer_(loop), tick_ms_(tick_ms), slots_(slots) {}

TimerWheel::~TimerWheel() {
  timer_.cancel();
}

void TimerWheel::add(WheelTimers& owner, std::uint8_t kind, std::uint32_t due) {
  if (armed_ == 0 && !running_) {
    last_turn_ = std::chrono::steady_clock::now();  // idle until now: nothing to catch up
  }
  slots_[due % slots_.size()].push_back({&owner, kind});
  ++armed_;
  schedule_turn();
}

void TimerWheel::remove(WheelTimers& owner, std::uint8_t kind, std::uint32_t due) {
  auto& slot = slots_[due % slots_.size()];
  auto it = std::find_if(slot.begin(), slot.end(),
                         [&](const Entry& e) { return e.owner == &owner && e.kind == kind; });
  if (it != slot.end()) {
    *it = slot.back();  // order within a slot does not matter
    slot.pop_back();
    --armed_;
  }
}

void TimerWheel::schedule_turn() {
  if (running_ || armed_ == 0) {
    return;
  }
  running_ = true;
  timer_.start(tick_ms_, [this] {
    running_ = false;
    // A busy loop wakes late: turn once per tick that has passed, so timers keep time.
    const auto tick = std::chrono::milliseconds(tick_ms_);
    const auto now = std::chrono::steady_clock::now();
    auto passed = std::max<std::int64_t>(1, (now - last_turn_) / tick);
    if (passed > 4 * static_cast<std::int64_t>(slots_.size())) {
      passed = 4 * static_cast<std::int64_t>(slots_.size());  // bounded work per wake-up
      last_turn_ = now;
    } else {
      last_turn_ += passed * tick;
    }
    for (std::int64_t i = 0; i < passed && armed_ > 0; ++i) {
      turn();
    }
    schedule_turn();
  });
}

/// One tick: fires what is due in this slot; entries due in a later round stay.
void TimerWheel::turn() {
  ++now_;
  auto& slot = slots_[now_ % slots_.size()];
  std::vector<Entry> due;
  for (std::size_t i = 0; i < slot.size();) {
    Entry e = slot[i];
    if (e.owner->due_[e.kind] == now_) {
      slot[i] = slot.back();
      slot.pop_back();
      --armed_;
      e.owner->due_[e.kind] = 0;
      due.push_back(e);
    } else {
      ++i;
    }
  }
  // Fired after the scan, so a callback may arm or cancel anything. Owners must not be
  // destroyed from a callback (the broker destroys clients on a later loop turn).
  for (const Entry& e : due) {
    e.owner->on_wheel_timer(e.kind);
  }
}

}  // namespace ferry::transports
