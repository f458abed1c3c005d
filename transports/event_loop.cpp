#include <atomic>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "transports/asio_loop.hpp"

namespace ferry::transports {
namespace {
const void* this_thread_tag() {
  thread_local char tag;
  return &tag;
}
}  // namespace

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {}
EventLoop::~EventLoop() = default;

void EventLoop::post(std::function<void()> task) {
  boost::asio::post(impl_->io, std::move(task));
}

void EventLoop::run() {
  auto guard = boost::asio::make_work_guard(impl_->io);
  impl_->running_thread = this_thread_tag();
  impl_->io.run();
  impl_->running_thread = nullptr;
}

void EventLoop::stop() {
  impl_->io.stop();
}

bool EventLoop::running_here() const {
  return impl_->running_thread == this_thread_tag();
}

struct Timer::Impl {
  explicit Impl(boost::asio::io_context& io) : timer(io) {}
  boost::asio::steady_timer timer;
};

Timer::Timer(EventLoop& loop) : impl_(std::make_unique<Impl>(io_of(loop))) {}
Timer::~Timer() = default;

void Timer::start(std::uint32_t ms, std::function<void()> on_expiry) {
  impl_->timer.expires_after(std::chrono::milliseconds(ms));
  impl_->timer.async_wait([cb = std::move(on_expiry)](const boost::system::error_code& ec) {
    if (!ec) {
      cb();
    }
  });
}

void Timer::cancel() {
  impl_->timer.cancel();
}

}  // namespace ferry::transports
