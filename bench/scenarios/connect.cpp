// connect: open C connections as fast as the broker accepts them (connects/s), hold them
// idle with keep-alive, and read the broker's RSS before and after (bytes/connection).
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <iostream>

#include "bench/lib/proc_stats.hpp"
#include "bench/lib/summary.hpp"
#include "bench/scenarios/common.hpp"
#include "bench/scenarios/scenarios.hpp"

namespace ferry::bench {

namespace {

class IdleClient : public ClientHandler {
 public:
  IdleClient(RunState& state, Launcher& launcher, std::size_t thread, boost::asio::io_context& io,
             ClientSettings settings)
      : state_(state),
        launcher_(launcher),
        thread_(thread),
        client_(io, *this, std::move(settings)) {}
  Client& client() { return client_; }
  bool connected() const { return connected_; }

  void on_connected(Client& c) override {
    connected_ = true;
    state_.ready.fetch_add(1);
    launcher_.next(thread_);
  }
  void on_error(Client& c, const std::string& what) override {
    state_.error(c.settings().client_id + ": " + what);
    if (!connected_) {
      launcher_.next(thread_);
    }
  }

 private:
  RunState& state_;
  Launcher& launcher_;
  std::size_t thread_;
  Client client_;
  bool connected_ = false;
};

/// Runs `fn(client)` for every client on its own thread and waits until all ran.
void for_each_on_thread(Workers& w, std::vector<std::unique_ptr<IdleClient>>& clients,
                        const std::function<void(IdleClient&)>& fn) {
  std::atomic<std::size_t> done{0};
  for (std::size_t t = 0; t < w.size(); ++t) {
    boost::asio::post(w.io(t), [&, t] {
      for (std::size_t i = t; i < clients.size(); i += w.size()) {
        fn(*clients[i]);
      }
      done.fetch_add(1);
    });
  }
  wait_until([&] { return done.load() == w.size(); }, 60);
}

}  // namespace

int run_connect(const Options& o) {
  Workers workers(o.threads);
  RunState state;
  Launcher launcher(workers, o.concurrency);
  std::vector<std::unique_ptr<IdleClient>> clients;
  for (int i = 0; i < o.connections; ++i) {
    auto s = client_settings(o, "bench-idle-" + std::to_string(i));
    s.read_buffer = 256;
    clients.push_back(std::make_unique<IdleClient>(state, launcher, i % workers.size(),
                                                   workers.io(i % workers.size()), std::move(s)));
    launcher.add(i % workers.size(), &clients.back()->client());
  }
  const auto rss_before = rss_bytes(o.broker_pid);
  workers.start();
  const auto start = std::chrono::steady_clock::now();
  launcher.start();
  const int C = o.connections;
  wait_until([&] { return state.ready.load() + state.failed.load() >= C; }, 30 + C / 100.0);
  const double connect_secs = seconds_since(start);
  const int connected = state.ready.load();
  note(o, "connected " + std::to_string(connected) + "/" + std::to_string(C) + " in " +
              std::to_string(connect_secs) + " s");
  // Hold idle; keep-alive pings every keepalive/2 seconds when the hold is that long.
  auto last_ping = std::chrono::steady_clock::now();
  wait_until([] { return false; }, o.hold,
             [&] {
               if (o.keepalive > 0 && seconds_since(last_ping) >= o.keepalive / 2.0) {
                 last_ping = std::chrono::steady_clock::now();
                 for_each_on_thread(workers, clients, [](IdleClient& c) {
                   if (c.client().open()) {
                     c.client().send(mqtt::Pingreq{});
                     c.client().flush();
                   }
                 });
               }
             });
  const auto rss_after = rss_bytes(o.broker_pid);
  std::atomic<int> still_open{0};
  for_each_on_thread(workers, clients, [&](IdleClient& c) {
    still_open += c.connected() && c.client().open() ? 1 : 0;
    c.client().close(true);
  });
  workers.stop();

  const bool have_rss = o.broker_pid > 0 && rss_before && rss_after;
  const std::int64_t delta =
      have_rss ? static_cast<std::int64_t>(*rss_after) - static_cast<std::int64_t>(*rss_before) : 0;
  const bool failed = connected < C || still_open < connected;
  Summary sum;
  sum.add("scenario", "connect")
      .add("broker", o.broker)
      .add("mqtt", o.mqtt)
      .add("threads", o.threads);
  sum.add("conns", C).add("connected", connected).add("held", still_open);
  sum.add("connect_s", connect_secs, 3).add("connects_per_s", connected / connect_secs, 0);
  sum.add("rss_before_kb", have_rss ? static_cast<std::int64_t>(*rss_before / 1024) : -1);
  sum.add("rss_after_kb", have_rss ? static_cast<std::int64_t>(*rss_after / 1024) : -1);
  sum.add("bytes_per_conn",
          have_rss && connected > 0 ? static_cast<double>(delta) / connected : -1.0, 0);
  sum.add("client_errors", state.failed.load()).add("verify", failed ? "FAIL" : "ok");
  if (failed) {
    std::cerr << "[ferry-bench] CONNECT FAILED: " << connected << "/" << C << " connected, "
              << still_open << " still open after the hold; first error: " << state.first_error
              << std::endl;
  }
  std::cout << sum.line() << std::endl;
  return failed ? 1 : 0;
}

}  // namespace ferry::bench
