#include "bench/scenarios/pubsub_roles.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cmath>

#include "bench/lib/payload.hpp"

namespace ferry::bench {

namespace asio = boost::asio;

namespace {
constexpr int burst = 32;                      // publishes per pump before yielding
constexpr std::size_t max_queued = 64 * 1024;  // bytes queued in the client before pausing
constexpr auto rate_tick = std::chrono::microseconds(500);
}  // namespace

// ---- Pacer ----

bool Pacer::allows(const RunState& s) const {
  const std::uint64_t settled =
      s.delivered.load(std::memory_order_relaxed) + forgiven_.load(std::memory_order_relaxed);
  const std::uint64_t expected = s.expected.load(std::memory_order_relaxed);
  return expected < settled + limit_;
}

void Pacer::park(Resumable* p) {
  std::lock_guard lock(mutex_);
  parked_.push_back(p);
  parked_any_.store(true, std::memory_order_release);
}

void Pacer::on_delivered() {
  if (parked_any_.load(std::memory_order_acquire)) {
    wake();
  }
}

void Pacer::wake() {
  std::vector<Resumable*> woken;
  {
    std::lock_guard lock(mutex_);
    woken.swap(parked_);
    parked_any_.store(false, std::memory_order_release);
  }
  for (Resumable* p : woken) {
    p->resume();
  }
}

void Pacer::tick(RunState& s) {
  const std::uint64_t delivered = s.delivered.load(std::memory_order_relaxed);
  if (delivered != last_delivered_ || allows(s)) {
    last_delivered_ = delivered;
    stalled_ticks_ = 0;
    return;
  }
  if (++stalled_ticks_ < 6) {  // 300 ms without a single delivery
    return;
  }
  stalled_ticks_ = 0;
  ++stalls_;
  const std::uint64_t settled = delivered + forgiven_.load(std::memory_order_relaxed);
  const std::uint64_t expected = s.expected.load(std::memory_order_relaxed);
  if (expected > settled) {
    forgiven_.fetch_add(expected - settled, std::memory_order_relaxed);
  }
  wake();
}

// ---- Publisher ----

struct Publisher::Timer {
  explicit Timer(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
};

Publisher::Publisher(RunState& state, Pacer* pacer, Launcher& launcher, PublisherConfig config,
                     asio::io_context& io, const ClientSettings& settings)
    : state_(state),
      pacer_(pacer),
      launcher_(launcher),
      config_(std::move(config)),
      client_(io, *this, settings),
      timer_(std::make_unique<Timer>(io)),
      payload_(config_.payload, 'x'),
      id_used_(65536, false) {
  head_.topic = config_.topic;
  head_.qos = static_cast<std::uint8_t>(config_.qos);
  head_.payload = std::make_shared<const mqtt::Bytes>(payload_);
}

Publisher::~Publisher() = default;

void Publisher::on_connected(Client& c) {
  window_ = std::min<int>(config_.window, c.server_receive_maximum());
  state_.ready.fetch_add(1);
  launcher_.next(config_.thread);
}

void Publisher::on_error(Client& c, const std::string& what) {
  state_.error("publisher " + std::to_string(config_.id) + ": " + what);
  launcher_.next(config_.thread);
}

void Publisher::begin() {
  asio::post(client_.io(), [this] {
    started_ = true;
    t0_ns_ = now_ns();
    if (config_.rate > 0) {
      tick();
    } else {
      pump();
    }
  });
}

void Publisher::resume() {
  asio::post(client_.io(), [this] {
    parked_.store(false, std::memory_order_relaxed);
    pump();
  });
}

bool Publisher::can_send() const {
  return client_.open() && !state_.stopping.load(std::memory_order_relaxed) &&
         (config_.qos == 0 || inflight_ < window_) && client_.queued() < max_queued;
}

std::uint16_t Publisher::take_id() {
  while (id_used_[next_id_]) {
    next_id_ = next_id_ == 65535 ? 1 : next_id_ + 1;
  }
  const std::uint16_t id = next_id_;
  id_used_[id] = true;
  next_id_ = next_id_ == 65535 ? 1 : next_id_ + 1;
  return id;
}

void Publisher::send_one(std::uint64_t stamp_ns) {
  if (config_.qos > 0) {
    head_.packet_id = take_id();
    ++inflight_;
  }
  write_stamp(Stamp{config_.id, static_cast<std::uint32_t>(seq_), stamp_ns}, payload_.data());
  client_.send_publish(head_, payload_);
  ++seq_;
  state_.published.fetch_add(1, std::memory_order_relaxed);
  state_.expected.fetch_add(config_.fanout, std::memory_order_relaxed);
}

/// Flat-out: sends bursts while the window, the pacer and the socket allow, yielding to
/// the event loop between bursts. Rate-limited: sends what the schedule says is due.
void Publisher::pump() {
  pump_posted_ = false;
  if (!started_) {
    return;
  }
  if (config_.rate > 0) {
    const double due = static_cast<double>(now_ns() - t0_ns_) * 1e-9 * config_.rate;
    while (static_cast<double>(seq_) < due && can_send()) {
      // Stamped with the scheduled time, so a late send counts in the latency.
      send_one(t0_ns_ + static_cast<std::uint64_t>(static_cast<double>(seq_) * 1e9 / config_.rate));
    }
    client_.flush();
    return;
  }
  int sent = 0;
  while (sent < burst && can_send()) {
    if (pacer_ != nullptr && !pacer_->allows(state_)) {
      if (!parked_.exchange(true)) {
        pacer_->park(this);
      }
      break;
    }
    send_one(now_ns());
    ++sent;
  }
  client_.flush();
  if (sent == burst && !pump_posted_) {
    pump_posted_ = true;
    asio::post(client_.io(), [this] { pump(); });
  }
}

void Publisher::tick() {
  if (state_.stopping.load(std::memory_order_relaxed) || !client_.open()) {
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

void Publisher::on_publish_done(Client& c, std::uint16_t id) {
  if (!id_used_[id]) {
    state_.error("publisher " + std::to_string(config_.id) + ": ack for unused packet id " +
                 std::to_string(id));
    return;
  }
  id_used_[id] = false;
  --inflight_;
  state_.completed.fetch_add(1, std::memory_order_relaxed);
  if (config_.rate == 0 && !pump_posted_ && !parked_.load(std::memory_order_relaxed)) {
    pump_posted_ = true;
    asio::post(client_.io(), [this] { pump(); });
  }
}

void Publisher::on_drained(Client& c) {
  if (started_ && config_.rate == 0 && !pump_posted_ && !parked_.load(std::memory_order_relaxed)) {
    pump_posted_ = true;
    asio::post(client_.io(), [this] { pump(); });
  }
}

// ---- Subscriber ----

Subscriber::Subscriber(RunState& state, Pacer* pacer, Launcher& launcher, SubscriberConfig config,
                       asio::io_context& io, const ClientSettings& settings)
    : state_(state),
      pacer_(pacer),
      launcher_(launcher),
      config_(std::move(config)),
      client_(io, *this, settings) {}

void Subscriber::on_connected(Client& c) {
  mqtt::Subscribe s;
  s.packet_id = 1;
  for (const auto& f : config_.filters) {
    s.topics.push_back(mqtt::SubscribeTopic{f, static_cast<std::uint8_t>(config_.qos)});
  }
  c.send(s);
}

void Subscriber::on_error(Client& c, const std::string& what) {
  state_.error("subscriber " + c.settings().client_id + ": " + what);
  if (!ready_) {
    launcher_.next(config_.thread);
  }
}

void Subscriber::on_suback(Client& c, const mqtt::Suback& s) {
  for (auto r : s.reasons) {
    if (mqtt::is_error(r)) {
      state_.error("subscriber " + c.settings().client_id + ": SUBACK refused, reason 0x" +
                   std::to_string(static_cast<int>(r)));
      c.close(false);
      launcher_.next(config_.thread);
      return;
    }
  }
  ready_ = true;
  state_.ready.fetch_add(1);
  launcher_.next(config_.thread);
}

void Subscriber::on_publish(Client& c, const PublishView& p) {
  auto stamp = read_stamp(p.payload);
  if (!stamp) {
    verifier_.observe_unknown();
    return;
  }
  verifier_.observe(stamp->publisher, stamp->seq);
  ++batch_;
  if (config_.latency != nullptr && state_.measuring.load(std::memory_order_relaxed)) {
    if (batch_now_ == 0) {
      batch_now_ = now_ns();  // one clock read per socket read: they arrived together
    }
    config_.latency->record(batch_now_ > stamp->sent_ns ? batch_now_ - stamp->sent_ns : 0);
  }
}

void Subscriber::on_read_done(Client& c) {
  batch_now_ = 0;
  if (batch_ == 0) {
    return;
  }
  state_.delivered.fetch_add(batch_, std::memory_order_relaxed);
  batch_ = 0;
  if (pacer_ != nullptr) {
    pacer_->on_delivered();
  }
}

}  // namespace ferry::bench
