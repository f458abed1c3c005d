// retained: store K retained topics (QoS 1, windowed), then time how long a new `#`
// subscriber takes to receive them all; each must arrive exactly once. Clears them after.
#include <unistd.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <charconv>
#include <iostream>

#include "bench/lib/summary.hpp"
#include "bench/scenarios/common.hpp"
#include "bench/scenarios/scenarios.hpp"

namespace ferry::bench {

namespace {

/// Publishes topics base/0 .. base/K-1 as retained QoS 1 (empty payload = clear).
class RetainedPublisher : public ClientHandler {
 public:
  RetainedPublisher(RunState& state, const Options& o, std::string base,
                    boost::asio::io_context& io)
      : state_(state),
        base_(std::move(base)),
        count_(o.retained),
        window_(o.window),
        payload_(o.payload, 'r'),
        client_(io, *this, client_settings(o, "bench-retainer")) {}
  Client& client() { return client_; }
  void publish_all(bool clear) {
    boost::asio::post(client_.io(), [this, clear] {
      clear_ = clear;
      next_ = 0;
      pump();
    });
  }
  void on_connected(Client& c) override { state_.ready.fetch_add(1); }
  void on_error(Client& c, const std::string& what) override { state_.error("retainer: " + what); }
  void on_publish_done(Client& c, std::uint16_t id) override {
    --inflight_;
    state_.completed.fetch_add(1);
    pump();
  }

 private:
  void pump() {
    mqtt::Publish p;
    p.qos = 1;
    p.retain = true;
    p.payload = std::make_shared<const mqtt::Bytes>(clear_ ? std::string() : payload_);
    while (inflight_ < window_ && next_ < count_) {
      p.topic = base_ + "/" + std::to_string(next_);
      p.packet_id = static_cast<std::uint16_t>(next_ % 65535 + 1);
      client_.send_publish(p, *p.payload);
      ++next_;
      ++inflight_;
    }
    client_.flush();
  }
  RunState& state_;
  std::string base_;
  int count_;
  int window_;
  std::string payload_;
  Client client_;
  int next_ = 0;
  int inflight_ = 0;
  bool clear_ = false;
};

/// Subscribes to `#` and checks off base/i topics as they arrive.
class RetainedSubscriber : public ClientHandler {
 public:
  RetainedSubscriber(RunState& state, const Options& o, std::string base,
                     boost::asio::io_context& io)
      : state_(state),
        base_(std::move(base) + "/"),
        seen_(o.retained, false),
        client_(io, *this, client_settings(o, "bench-retained-sub")) {}
  Client& client() { return client_; }
  std::uint64_t duplicates() const { return duplicates_; }
  std::uint64_t last_ns() const { return last_ns_; }
  std::uint64_t subscribed_ns() const { return subscribed_ns_; }
  void on_connected(Client& c) override {
    mqtt::Subscribe s;
    s.packet_id = 1;
    s.topics.push_back(mqtt::SubscribeTopic{"#", 1});
    subscribed_ns_ = now_ns();
    c.send(s);
  }
  void on_error(Client& c, const std::string& what) override {
    state_.error("retained subscriber: " + what);
  }
  void on_suback(Client& c, const mqtt::Suback& s) override { state_.ready.fetch_add(1); }
  void on_publish(Client& c, const PublishView& p) override {
    if (!p.retain || p.topic.substr(0, base_.size()) != base_) {
      return;  // live traffic or somebody else's retained message
    }
    std::size_t i = 0;
    const auto digits = p.topic.substr(base_.size());
    std::from_chars(digits.data(), digits.data() + digits.size(), i);
    if (i >= seen_.size() || seen_[i]) {
      ++duplicates_;
      return;
    }
    seen_[i] = true;
    last_ns_ = now_ns();
    state_.delivered.fetch_add(1);
  }

 private:
  RunState& state_;
  std::string base_;
  std::vector<bool> seen_;
  Client client_;
  std::uint64_t duplicates_ = 0;
  std::uint64_t last_ns_ = 0;
  std::uint64_t subscribed_ns_ = 0;
};

}  // namespace

int run_retained(const Options& o) {
  Workers workers(1);
  RunState state;
  const std::string base = o.prefix + "/retained/" + std::to_string(::getpid());
  RetainedPublisher pub(state, o, base, workers.io(0));
  RetainedSubscriber sub(state, o, base, workers.io(0));
  workers.start();
  const auto K = static_cast<std::uint64_t>(o.retained);
  auto ok = [&] { return state.failed.load() == 0; };
  boost::asio::post(workers.io(0), [&] { pub.client().start(); });
  wait_until([&] { return state.ready.load() == 1 || !ok(); }, 10);
  const auto store_start = std::chrono::steady_clock::now();
  pub.publish_all(false);
  wait_until([&] { return state.completed.load() >= K || !ok(); }, 60);
  const double store_secs = seconds_since(store_start);
  boost::asio::post(workers.io(0), [&] { sub.client().start(); });
  wait_until([&] { return state.delivered.load() >= K || !ok(); }, std::max(o.drain, 10.0));
  const std::uint64_t received = state.delivered.load();
  const double fetch_secs = received > 0 ? (sub.last_ns() - sub.subscribed_ns()) * 1e-9 : 0;
  state.completed = 0;
  if (!o.keep_retained) {
    pub.publish_all(true);  // leave the broker as we found it
    wait_until([&] { return state.completed.load() >= K || !ok(); }, 60);
  }
  workers.stop();

  const bool failed = received != K || sub.duplicates() > 0 || !ok();
  Summary sum;
  sum.add("scenario", "retained").add("broker", o.broker).add("mqtt", o.mqtt);
  sum.add("retained", K).add("payload", static_cast<std::uint64_t>(o.payload));
  sum.add("store_per_s", K / store_secs, 0).add("received", received).add("dups", sub.duplicates());
  sum.add("fetch_ms", fetch_secs * 1e3, 2)
      .add("retained_per_s", fetch_secs > 0 ? received / fetch_secs : 0.0, 0);
  sum.add("client_errors", state.failed.load()).add("verify", failed ? "FAIL" : "ok");
  if (failed) {
    std::cerr << "[ferry-bench] RETAINED FAILED: received " << received << "/" << K << ", "
              << sub.duplicates() << " duplicates; " << state.first_error << std::endl;
  }
  std::cout << sum.line() << std::endl;
  return failed ? 1 : 0;
}

}  // namespace ferry::bench
