#include "bench/scenarios/common.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <iostream>
#include <thread>

namespace ferry::bench {

void RunState::error(const std::string& what) {
  failed.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mutex);
  if (first_error.empty()) {
    first_error = what;
  }
}

Launcher::Launcher(Workers& workers, int concurrency)
    : workers_(workers),
      queues_(workers.size()),
      per_thread_(
          std::max<std::size_t>(1, static_cast<std::size_t>(concurrency) / workers.size())) {}

void Launcher::add(std::size_t thread, Client* client) {
  add(thread, [client] { client->start(); });
}

void Launcher::add(std::size_t thread, std::function<void()> start) {
  queues_[thread % queues_.size()].clients.push_back(std::move(start));
}

void Launcher::start() {
  for (std::size_t t = 0; t < queues_.size(); ++t) {
    boost::asio::post(workers_.io(t), [this, t] {
      for (std::size_t i = 0; i < per_thread_; ++i) {
        next(t);
      }
    });
  }
}

void Launcher::next(std::size_t thread) {
  Queue& q = queues_[thread % queues_.size()];
  if (q.cursor < q.clients.size()) {
    q.clients[q.cursor++]();
  }
}

ClientSettings client_settings(const Options& o, const std::string& client_id) {
  ClientSettings s;
  s.host = o.host;
  s.port = o.port;
  s.unix_path = o.unix_path;
  s.version = o.mqtt == "5" ? mqtt::Version::v5 : mqtt::Version::v3_1_1;
  s.client_id = client_id;
  s.keep_alive = static_cast<std::uint16_t>(o.keepalive);
  s.persistent = o.persistent;
  return s;
}

bool wait_until(const std::function<bool()>& done, double timeout,
                const std::function<void()>& tick) {
  const auto start = std::chrono::steady_clock::now();
  auto last_tick = start;
  while (!done()) {
    if (seconds_since(start) >= timeout) {
      return done();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (tick && std::chrono::steady_clock::now() - last_tick >= std::chrono::milliseconds(50)) {
      last_tick = std::chrono::steady_clock::now();
      tick();
    }
  }
  return true;
}

void note(const Options& o, const std::string& line) {
  if (!o.quiet) {
    std::cerr << "[ferry-bench] " << line << std::endl;
  }
}

}  // namespace ferry::bench
