// Publisher and subscriber roles for the fanin / fanout / mesh / latency scenarios, and
// the pacer that keeps flat-out publishing from just filling the broker's buffers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bench/lib/histogram.hpp"
#include "bench/lib/verifier.hpp"
#include "bench/scenarios/common.hpp"
#include "protocol/mqtt/packet.hpp"

namespace ferry::bench {

/// Something the pacer parks and later wakes: resume() is called from any thread.
class Resumable {
 public:
  virtual ~Resumable() = default;
  virtual void resume() = 0;
};

/// Flat-out flow control measured at the subscribers: publishes whose deliveries have
/// not all arrived yet stay under `limit` (counted in deliveries). When deliveries stop
/// (QoS 0 loss), tick() forgives the missing ones after a stall so the run goes on.
class Pacer {
 public:
  explicit Pacer(std::uint64_t limit) : limit_(limit) {}
  bool allows(const RunState& s) const;
  void park(Resumable* p);
  void on_delivered();     // any thread, after deliveries were counted in RunState
  void tick(RunState& s);  // main thread, every 50 ms
  std::uint64_t stalls() const { return stalls_; }

 private:
  void wake();
  std::uint64_t limit_;
  std::atomic<std::uint64_t> forgiven_{0};
  std::atomic<bool> parked_any_{false};
  std::mutex mutex_;
  std::vector<Resumable*> parked_;
  std::uint64_t last_delivered_ = 0;
  int stalled_ticks_ = 0;
  std::uint64_t stalls_ = 0;
};

struct PublisherConfig {
  std::uint16_t id = 0;
  std::string topic;
  int qos = 0;
  std::size_t payload = 16;
  int window = 64;
  double rate = 0;           // this publisher's publishes/s; 0 = flat out
  std::uint64_t fanout = 1;  // deliveries one publish should cause
  std::size_t thread = 0;
};

class Publisher : public ClientHandler, public Resumable {
 public:
  Publisher(RunState& state, Pacer* pacer, Launcher& launcher, PublisherConfig config,
            boost::asio::io_context& io, const ClientSettings& settings);
  ~Publisher() override;
  Client& client() { return client_; }
  void begin();            // any thread: start publishing on the publisher's thread
  void resume() override;  // any thread: re-run the pump after the pacer allowed more
  std::uint64_t published() const { return seq_; }

  void on_connected(Client& c) override;
  void on_error(Client& c, const std::string& what) override;
  void on_publish_done(Client& c, std::uint16_t id) override;
  void on_drained(Client& c) override;

 private:
  struct Timer;
  void pump();
  void tick();
  bool can_send() const;
  void send_one(std::uint64_t stamp_ns);
  std::uint16_t take_id();

  RunState& state_;
  Pacer* pacer_;
  Launcher& launcher_;
  PublisherConfig config_;
  Client client_;
  std::unique_ptr<Timer> timer_;
  mqtt::Publish head_;
  std::string payload_;
  std::vector<bool> id_used_;
  std::uint16_t next_id_ = 1;
  int inflight_ = 0;
  int window_ = 64;
  std::uint64_t seq_ = 0;
  std::uint64_t t0_ns_ = 0;
  bool started_ = false;
  bool pump_posted_ = false;
  std::atomic<bool> parked_{false};
  friend class Pacer;
};

struct SubscriberConfig {
  std::vector<std::string> filters;
  int qos = 0;
  std::size_t thread = 0;
  Histogram* latency = nullptr;  // this thread's histogram
};

class Subscriber : public ClientHandler {
 public:
  Subscriber(RunState& state, Pacer* pacer, Launcher& launcher, SubscriberConfig config,
             boost::asio::io_context& io, const ClientSettings& settings);
  Client& client() { return client_; }
  const Verifier& verifier() const { return verifier_; }

  void on_connected(Client& c) override;
  void on_error(Client& c, const std::string& what) override;
  void on_suback(Client& c, const mqtt::Suback& s) override;
  void on_publish(Client& c, const PublishView& p) override;
  void on_read_done(Client& c) override;

 private:
  RunState& state_;
  Pacer* pacer_;
  Launcher& launcher_;
  SubscriberConfig config_;
  Client client_;
  Verifier verifier_;
  std::uint64_t batch_ = 0;
  std::uint64_t batch_now_ = 0;
  bool ready_ = false;
};

}  // namespace ferry::bench
