#include "bench/scenarios/sn_roles.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bench/lib/payload.hpp"
#include "protocol/sn/codec.hpp"

namespace ferry::bench {

namespace asio = boost::asio;

namespace {
constexpr auto handshake_retry = std::chrono::milliseconds(1000);
constexpr int burst = 64;  // publishes per pump before yielding
constexpr auto rate_tick = std::chrono::microseconds(500);
}  // namespace

// ---- SnClient ----

struct SnClient::Timer {
  explicit Timer(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
};

SnClient::SnClient(RunState& state, Launcher& launcher, std::size_t thread, asio::io_context& io,
                   SnEndpoint endpoint, SnSessionConfig config)
    : state_(state),
      socket_(io, *this),
      launcher_(launcher),
      thread_(thread),
      endpoint_(std::move(endpoint)),
      session_(std::move(config)) {}

SnClient::~SnClient() = default;

void SnClient::start() {
  if (std::string why = socket_.open(endpoint_.ip, endpoint_.port, endpoint_.rcvbuf);
      !why.empty()) {
    fail(why);
    return;
  }
  timer_ = std::make_unique<Timer>(socket_.io());
  after_handshake_step(session_.start());
}

void SnClient::leave() {
  if (timer_) {
    timer_->timer.cancel();
  }
  if (socket_.is_open()) {
    send(sn::encode(sn::Disconnect{}));
    socket_.close();
  }
}

void SnClient::on_datagram(std::span<const std::uint8_t> datagram) {
  if (auto publish = view_sn_publish(datagram)) {
    on_publish(*publish);
    return;
  }
  sn::Decoded decoded = sn::decode(datagram);
  if (!decoded.ok()) {
    fail("undecodable datagram from the gateway: " + std::string(sn::to_string(decoded.error)));
    return;
  }
  after_handshake_step(session_.on_message(decoded.message));
}

void SnClient::on_socket_error(const std::string& what) {
  fail(what);
}

/// Sends what the session answered and reports the handshake's end once.
void SnClient::after_handshake_step(const std::string& reply) {
  if (!reply.empty()) {
    send(reply);
  }
  if (session_.phase() == SnSession::Phase::failed) {
    fail(session_.error());
    return;
  }
  if (settled_) {
    return;
  }
  if (session_.ready()) {
    settled_ = true;
    timer_->timer.cancel();
    on_ready();
    state_.ready.fetch_add(1);
    launcher_.next(thread_);
    return;
  }
  if (!reply.empty()) {
    arm_timer();  // a request went out: wait for its answer
  }
}

void SnClient::arm_timer() {
  timer_->timer.expires_after(handshake_retry);
  timer_->timer.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) {
      after_handshake_step(session_.on_timeout());
    }
  });
}

void SnClient::fail(const std::string& what) {
  state_.error(session_.config().client_id + ": " + what);
  if (timer_) {
    timer_->timer.cancel();
  }
  socket_.close();
  if (!settled_) {
    settled_ = true;
    launcher_.next(thread_);
  }
}

// ---- SnSubscriber ----

SnSubscriber::SnSubscriber(RunState& state, Launcher& launcher, std::size_t thread,
                           asio::io_context& io, SnEndpoint endpoint, SnSessionConfig config,
                           SnSubscriberConfig sub)
    : SnClient(state, launcher, thread, io, std::move(endpoint), std::move(config)), sub_(sub) {}

void SnSubscriber::on_publish(const SnPublishView& p) {
  if (std::string ack = session().ack(p); !ack.empty()) {
    send(ack);
  }
  auto stamp = read_stamp(p.data);
  if (!stamp || p.topic_id != session().topic_id()) {
    verifier_.observe_unknown();
    return;
  }
  verifier_.observe(stamp->publisher, stamp->seq);
  ++batch_;
  if (sub_.latency != nullptr && state_.measuring.load(std::memory_order_relaxed)) {
    if (batch_now_ == 0) {
      batch_now_ = now_ns();  // one clock read per wake-up: they arrived together
    }
    sub_.latency->record(batch_now_ > stamp->sent_ns ? batch_now_ - stamp->sent_ns : 0);
  }
}

void SnSubscriber::on_read_done() {
  batch_now_ = 0;
  if (batch_ == 0) {
    return;
  }
  state_.delivered.fetch_add(batch_, std::memory_order_relaxed);
  batch_ = 0;
  if (sub_.pacer != nullptr) {
    sub_.pacer->on_delivered();
  }
}

// ---- SnPublisher ----

SnPublisher::SnPublisher(RunState& state, Launcher& launcher, std::size_t thread,
                         asio::io_context& io, SnEndpoint endpoint, SnSessionConfig config,
                         std::uint16_t id, std::size_t payload)
    : SnClient(state, launcher, thread, io, std::move(endpoint), std::move(config)),
      id_(id),
      payload_(payload) {}

void SnPublisher::on_ready() {
  template_.emplace(session().topic_id(), sn::TopicIdType::normal, payload_);
}

void SnPublisher::send_one(std::uint64_t stamp_ns) {
  write_stamp(Stamp{id_, static_cast<std::uint32_t>(seq_), stamp_ns}, template_->stamp());
  send(template_->datagram());  // a refused send is counted, and shows up as loss
  ++seq_;
  state_.published.fetch_add(1, std::memory_order_relaxed);
  state_.expected.fetch_add(1, std::memory_order_relaxed);
}

// ---- SnPump ----

struct SnPump::Timer {
  explicit Timer(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
};

SnPump::SnPump(RunState& state, Pacer* pacer, asio::io_context& io, double rate)
    : state_(state), pacer_(pacer), io_(io), rate_(rate), timer_(std::make_unique<Timer>(io)) {}

SnPump::~SnPump() = default;

void SnPump::begin() {
  asio::post(io_, [this] {
    started_ = true;
    t0_ns_ = now_ns();
    if (rate_ > 0) {
      tick();
    } else {
      pump();
    }
  });
}

void SnPump::resume() {
  asio::post(io_, [this] {
    parked_.store(false, std::memory_order_relaxed);
    pump();
  });
}

/// The next publisher in turn that can send (one whose handshake failed is skipped).
/// False when none can.
bool SnPump::send_next(std::uint64_t stamp_ns) {
  for (std::size_t tries = 0; tries < pubs_.size(); ++tries) {
    SnPublisher* p = pubs_[cursor_];
    cursor_ = cursor_ + 1 == pubs_.size() ? 0 : cursor_ + 1;
    if (p->can_send()) {
      p->send_one(stamp_ns);
      ++sent_;
      return true;
    }
  }
  return false;
}

void SnPump::pump() {
  if (!started_ || pubs_.empty() || state_.stopping.load(std::memory_order_relaxed)) {
    return;
  }
  if (rate_ > 0) {
    const double due = static_cast<double>(now_ns() - t0_ns_) * 1e-9 * rate_;
    // Stamped with the scheduled time, so a late send counts in the latency.
    while (
        static_cast<double>(sent_) < due &&
        send_next(t0_ns_ + static_cast<std::uint64_t>(static_cast<double>(sent_) * 1e9 / rate_))) {
    }
    return;
  }
  int sent = 0;
  while (sent < burst) {
    if (pacer_ != nullptr && !pacer_->allows(state_)) {
      if (!parked_.exchange(true)) {
        pacer_->park(this);
      }
      return;
    }
    if (!send_next(now_ns())) {
      return;
    }
    ++sent;
  }
  asio::post(io_, [this] { pump(); });
}

void SnPump::tick() {
  if (state_.stopping.load(std::memory_order_relaxed)) {
    return;
  }
  pump();
  timer_->timer.expires_after(rate_tick);
  timer_->timer.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) {
      tick();
    }
  });
}

}  // namespace ferry::bench
