// snfanout / snfanin: MQTT-SN clients over UDP against the integrated gateway, MQTT over
// TCP on the other side. snfanout: one MQTT publisher -> N SN subscribers of one topic
// (deliveries/s counted at the SN clients); snfanin: P SN publishers at QoS 0, each on
// its own registered topic id -> one MQTT subscriber of prefix/snfanin/+. Both read the
// broker's RSS before and after the SN clients joined: bytes per SN client.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <iostream>
#include <thread>

#include "bench/lib/proc_stats.hpp"
#include "bench/scenarios/measure.hpp"
#include "bench/scenarios/scenarios.hpp"
#include "bench/scenarios/sn_roles.hpp"

namespace ferry::bench {

namespace {

/// Everything one run creates, in destruction-safe order (workers outlive clients).
struct SnRun {
  explicit SnRun(const Options& o)
      : workers(o.threads),
        latency(o.threads),
        sn_launcher(workers, o.concurrency),
        mqtt_launcher(workers, o.concurrency) {}
  Workers workers;
  RunState state;
  std::vector<Histogram> latency;
  Launcher sn_launcher;
  Launcher mqtt_launcher;
  std::unique_ptr<Pacer> pacer;
  std::vector<SnClient*> sn_clients;  // both roles, for leave() and the totals
  std::vector<std::unique_ptr<SnSubscriber>> sn_subs;
  std::vector<std::unique_ptr<SnPublisher>> sn_pubs;
  std::vector<std::unique_ptr<SnPump>> pumps;
  std::unique_ptr<Publisher> mqtt_pub;
  std::unique_ptr<Subscriber> mqtt_sub;
  std::optional<std::uint64_t> rss_before;
  std::optional<std::uint64_t> rss_sn;  // SN clients joined, nothing published yet
  std::optional<std::uint64_t> rss_end;
};

bool fanout(const Options& o) {
  return o.scenario == "snfanout";
}

std::string topic_base(const Options& o) {
  return o.prefix + "/" + o.scenario;
}

SnSessionConfig sn_config(const Options& o, SnRole role, std::string id, std::string topic) {
  SnSessionConfig c;
  c.role = role;
  c.client_id = std::move(id);
  c.topic = std::move(topic);
  c.keep_alive = static_cast<std::uint16_t>(o.keepalive);
  c.qos = o.qos;
  return c;
}

void create_fanout(SnRun& run, const Options& o) {
  const std::string topic = topic_base(o) + "/t";
  const std::size_t T = run.workers.size();
  const auto N = static_cast<std::uint64_t>(o.subscribers);
  if (o.rate == 0) {
    run.pacer = std::make_unique<Pacer>(N * static_cast<std::uint64_t>(o.window));
  }
  const SnEndpoint at{o.host, o.sn_port, o.sn_rcvbuf};
  for (int s = 0; s < o.subscribers; ++s) {
    auto sub = std::make_unique<SnSubscriber>(
        run.state, run.sn_launcher, s % T, run.workers.io(s % T), at,
        sn_config(o, SnRole::subscriber, "sn-sub-" + std::to_string(s), topic),
        SnSubscriberConfig{run.pacer.get(), &run.latency[s % T]});
    run.sn_launcher.add(s % T, [c = sub.get()] { c->start(); });
    run.sn_clients.push_back(sub.get());
    run.sn_subs.push_back(std::move(sub));
  }
  PublisherConfig c{0, topic, o.qos, o.payload, o.window, o.rate, N, 0};
  run.mqtt_pub = std::make_unique<Publisher>(run.state, run.pacer.get(), run.mqtt_launcher, c,
                                             run.workers.io(0), client_settings(o, "bench-snpub"));
  run.mqtt_launcher.add(0, &run.mqtt_pub->client());
}

void create_fanin(SnRun& run, const Options& o) {
  const std::size_t T = run.workers.size();
  if (o.rate == 0) {
    run.pacer = std::make_unique<Pacer>(static_cast<std::uint64_t>(o.sn_window));
  }
  SubscriberConfig c{{topic_base(o) + "/+"}, 0, 0, &run.latency[0]};
  run.mqtt_sub = std::make_unique<Subscriber>(run.state, run.pacer.get(), run.mqtt_launcher, c,
                                              run.workers.io(0), client_settings(o, "bench-snsub"));
  run.mqtt_launcher.add(0, &run.mqtt_sub->client());
  for (std::size_t t = 0; t < T; ++t) {
    run.pumps.push_back(std::make_unique<SnPump>(run.state, run.pacer.get(), run.workers.io(t),
                                                 o.rate / static_cast<double>(T)));
  }
  const SnEndpoint at{o.host, o.sn_port, o.sn_rcvbuf};
  for (int p = 0; p < o.publishers; ++p) {
    const std::string n = std::to_string(p);
    auto pub = std::make_unique<SnPublisher>(
        run.state, run.sn_launcher, p % T, run.workers.io(p % T), at,
        sn_config(o, SnRole::publisher, "sn-pub-" + n, topic_base(o) + "/" + n),
        static_cast<std::uint16_t>(p), o.payload);
    run.sn_launcher.add(p % T, [c = pub.get()] { c->start(); });
    run.pumps[p % T]->add(pub.get());
    run.sn_clients.push_back(pub.get());
    run.sn_pubs.push_back(std::move(pub));
  }
}

std::optional<std::uint64_t> broker_rss(const Options& o) {
  return o.broker_pid > 0 ? rss_bytes(o.broker_pid) : std::nullopt;
}

/// Connects the SN clients between two RSS readings: MQTT side first for snfanin (its
/// subscriber must be there), after them for snfanout.
bool connect_everyone(SnRun& run, const Options& o) {
  const int sn_count = fanout(o) ? o.subscribers : o.publishers;
  if (!fanout(o) && !connect_all(run.state, o, run.mqtt_launcher, 1, "MQTT subscriber")) {
    return false;
  }
  run.rss_before = broker_rss(o);
  if (!connect_all(run.state, o, run.sn_launcher, sn_count, "MQTT-SN clients")) {
    return false;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the broker settle
  run.rss_sn = broker_rss(o);
  return !fanout(o) || connect_all(run.state, o, run.mqtt_launcher, 1, "MQTT publisher");
}

/// Every SN client sends DISCONNECT (so a broker that keeps running forgets it), a few
/// hundred at a time so the gateway's receive buffer keeps up.
void leave_all(SnRun& run) {
  std::atomic<std::size_t> done{0};
  const std::size_t T = run.workers.size();
  for (std::size_t t = 0; t < T; ++t) {
    boost::asio::post(run.workers.io(t), [&run, &done, t, T] {
      for (std::size_t i = t; i < run.sn_clients.size(); i += T) {
        run.sn_clients[i]->leave();
        if (i % 256 == t) {
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
      }
      done.fetch_add(1);
    });
  }
  wait_until([&] { return done.load() == T; }, 30);
}

Results collect(SnRun& run) {
  Results r;
  const auto all = [](std::uint32_t) { return true; };
  if (run.mqtt_pub) {
    r.published.push_back(run.mqtt_pub->published());
  }
  for (auto& p : run.sn_pubs) {
    r.published.push_back(p->published());
  }
  for (auto& s : run.sn_subs) {
    r.counts.merge(s->verifier().totals(r.published, all));
  }
  if (run.mqtt_sub) {
    r.counts.merge(run.mqtt_sub->verifier().totals(r.published, all));
  }
  for (auto& h : run.latency) {
    r.latency.merge(h);
  }
  return r;
}

std::int64_t kib(const std::optional<std::uint64_t>& bytes) {
  return bytes ? static_cast<std::int64_t>(*bytes / 1024) : -1;
}

void add_sn_fields(Summary& sum, const SnRun& run) {
  std::uint64_t retries = 0;
  std::uint64_t send_failures = 0;
  for (const SnClient* c : run.sn_clients) {
    retries += static_cast<std::uint64_t>(c->session().retries());
    send_failures += c->send_failures();
  }
  const auto per_client = bytes_per_client(run.rss_before, run.rss_sn, run.sn_clients.size());
  sum.add("sn_clients", static_cast<std::uint64_t>(run.sn_clients.size()));
  sum.add("rss_before_kb", kib(run.rss_before)).add("rss_sn_kb", kib(run.rss_sn));
  sum.add("rss_end_kb", kib(run.rss_end));
  sum.add("sn_bytes_per_client", per_client.value_or(-1.0), 0);
  sum.add("sn_retries", retries).add("sn_send_failures", send_failures);
}

int report(const Options& o, SnRun& run, const Snapshot& a, const Snapshot& b, const Results& r) {
  const std::string why = verdict(r.counts, o.qos);
  const bool failed = !why.empty() || run.state.failed.load() > 0;
  Summary sum;
  sum.add("scenario", o.scenario).add("broker", o.broker).add("mqtt", o.mqtt).add("qos", o.qos);
  sum.add("payload", static_cast<std::uint64_t>(o.payload))
      .add("pubs", o.publishers)
      .add("subs", o.subscribers);
  sum.add("threads", o.threads).add("rate", o.rate, 0);
  sum.add("seconds", std::chrono::duration<double>(b.at - a.at).count(), 2);
  add_measurement(sum, o, a, b, r);
  add_sn_fields(sum, run);
  sum.add("pacer_stalls", run.pacer ? run.pacer->stalls() : 0);
  sum.add("client_errors", run.state.failed.load());
  sum.add("verify", failed ? "FAIL" : "ok");
  if (!why.empty()) {
    std::cerr << "[ferry-bench] VERIFICATION FAILED: " << why << std::endl;
  }
  if (run.state.failed.load() > 0) {
    std::cerr << "[ferry-bench] CLIENT ERRORS: " << run.state.failed.load()
              << ", first: " << run.state.first_error << std::endl;
  }
  std::cout << sum.line() << std::endl;
  return failed ? 1 : 0;
}

void begin_publishing(SnRun& run) {
  if (run.mqtt_pub) {
    run.mqtt_pub->begin();
  }
  for (auto& p : run.pumps) {
    p->begin();
  }
}

}  // namespace

int run_sn(const Options& o) {
  SnRun run(o);
  if (fanout(o)) {
    create_fanout(run, o);
  } else {
    create_fanin(run, o);
  }
  run.workers.start();
  if (!connect_everyone(run, o)) {
    std::cerr << "[ferry-bench] setup failed: " << run.state.first_error << std::endl;
    run.workers.stop();
    return 2;
  }
  note(o, "broker RSS " + std::to_string(kib(run.rss_before)) + " KiB before the SN clients, " +
              std::to_string(kib(run.rss_sn)) + " KiB after");
  begin_publishing(run);
  auto tick = [&] {
    if (run.pacer) {
      run.pacer->tick(run.state);
    }
  };
  wait_until([] { return false; }, o.warmup, tick);
  run.state.measuring = true;
  const Snapshot a = snapshot(run.state, o.broker_pid);
  wait_until([] { return false; }, o.duration, tick);
  const Snapshot b = snapshot(run.state, o.broker_pid);
  run.state.measuring = false;
  drain(run.state, o);
  run.rss_end = broker_rss(o);
  leave_all(run);
  run.workers.stop();
  return report(o, run, a, b, collect(run));
}

}  // namespace ferry::bench
