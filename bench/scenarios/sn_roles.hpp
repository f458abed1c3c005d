// MQTT-SN roles for snfanout / snfanin: a subscriber and a publisher over UDP (each its
// own socket, so its own address at the gateway), and the pump that drives all the
// publishers of one generator thread round-robin under the pacer or a fixed rate.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "bench/client/sn_socket.hpp"
#include "bench/lib/histogram.hpp"
#include "bench/lib/sn_session.hpp"
#include "bench/lib/verifier.hpp"
#include "bench/scenarios/common.hpp"
#include "bench/scenarios/pubsub_roles.hpp"

namespace ferry::bench {

/// Where SN clients connect and how their sockets are set up.
struct SnEndpoint {
  std::string ip;
  std::uint16_t port = 0;
  int rcvbuf = 0;
};

/// What both roles share: the socket, the handshake (with retransmission every
/// `handshake_retry`), the launcher's turn and the error report.
class SnClient : public SnSocketHandler {
 public:
  SnClient(RunState& state, Launcher& launcher, std::size_t thread, boost::asio::io_context& io,
           SnEndpoint endpoint, SnSessionConfig config);
  ~SnClient() override;
  /// On the client's thread: opens the socket and sends CONNECT.
  void start();
  /// On the client's thread: DISCONNECT (so the gateway forgets it), then close.
  void leave();
  const SnSession& session() const { return session_; }
  std::uint64_t send_failures() const { return socket_.send_failures(); }

  void on_datagram(std::span<const std::uint8_t> datagram) override;
  void on_socket_error(const std::string& what) override;

 protected:
  virtual void on_publish(const SnPublishView& p) {}
  virtual void on_ready() {}
  bool send(std::string_view datagram) { return socket_.send(datagram); }
  RunState& state_;
  SnSocket socket_;

 private:
  struct Timer;
  void after_handshake_step(const std::string& reply);
  void arm_timer();
  void fail(const std::string& what);

  Launcher& launcher_;
  std::size_t thread_;
  SnEndpoint endpoint_;
  SnSession session_;
  std::unique_ptr<Timer> timer_;
  bool settled_ = false;  // ready or failed was reported
};

struct SnSubscriberConfig {
  Pacer* pacer = nullptr;
  Histogram* latency = nullptr;  // this thread's histogram
};

class SnSubscriber : public SnClient {
 public:
  SnSubscriber(RunState& state, Launcher& launcher, std::size_t thread, boost::asio::io_context& io,
               SnEndpoint endpoint, SnSessionConfig config, SnSubscriberConfig sub);
  const Verifier& verifier() const { return verifier_; }

  void on_read_done() override;

 protected:
  void on_publish(const SnPublishView& p) override;

 private:
  SnSubscriberConfig sub_;
  Verifier verifier_;
  std::uint64_t batch_ = 0;
  std::uint64_t batch_now_ = 0;
};

class SnPublisher : public SnClient {
 public:
  SnPublisher(RunState& state, Launcher& launcher, std::size_t thread, boost::asio::io_context& io,
              SnEndpoint endpoint, SnSessionConfig config, std::uint16_t id, std::size_t payload);
  /// One QoS 0 PUBLISH with the next sequence number (client's thread, once ready).
  void send_one(std::uint64_t stamp_ns);
  bool can_send() const { return template_.has_value(); }
  std::uint64_t published() const { return seq_; }

 protected:
  void on_ready() override;

 private:
  std::uint16_t id_;
  std::size_t payload_;
  std::optional<SnPublishTemplate> template_;
  std::uint64_t seq_ = 0;
};

/// Drives the SN publishers of one generator thread: round-robin, one PUBLISH each in
/// turn, in bursts while the pacer allows (flat out) or as a fixed rate schedule says.
class SnPump : public Resumable {
 public:
  SnPump(RunState& state, Pacer* pacer, boost::asio::io_context& io, double rate);
  ~SnPump() override;
  void add(SnPublisher* p) { pubs_.push_back(p); }
  void begin();            // any thread
  void resume() override;  // any thread
  std::uint64_t sent() const { return sent_; }

 private:
  struct Timer;
  void pump();
  void tick();
  bool send_next(std::uint64_t stamp_ns);

  RunState& state_;
  Pacer* pacer_;
  boost::asio::io_context& io_;
  double rate_;  // this thread's publishes/s; 0 = flat out
  std::unique_ptr<Timer> timer_;
  std::vector<SnPublisher*> pubs_;
  std::size_t cursor_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t t0_ns_ = 0;
  bool started_ = false;
  std::atomic<bool> parked_{false};
};

}  // namespace ferry::bench
