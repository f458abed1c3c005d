// fanin / fanout / mesh / latency: set up subscribers, then publishers, warm up,
// measure, stop, drain, verify, print one summary line.
#include <algorithm>
#include <iostream>

#include "bench/scenarios/measure.hpp"
#include "bench/scenarios/pubsub_roles.hpp"
#include "bench/scenarios/scenarios.hpp"

namespace ferry::bench {

namespace {

/// Who publishes where and who listens to what.
struct Topology {
  std::vector<std::string> pub_topics;
  std::vector<std::vector<std::string>> sub_filters;
  std::vector<std::uint64_t> fanout;  // per publisher
  std::function<bool(int sub, int pub)> follows;
};

Topology make_topology(const Options& o) {
  Topology t;
  const int P = o.publishers;
  const int N = o.subscribers;
  const std::string base = o.prefix + "/" + o.scenario;
  if (o.scenario == "fanout") {
    t.pub_topics = {base + "/t"};
    t.sub_filters.assign(N, {base + "/t"});
    t.fanout = {static_cast<std::uint64_t>(N)};
    t.follows = [](int, int) { return true; };
    return t;
  }
  if (o.scenario == "mesh") {
    const int G = std::min({o.groups, P, N});
    for (int p = 0; p < P; ++p) {
      t.pub_topics.push_back(base + "/g" + std::to_string(p % G) + "/p" + std::to_string(p));
      t.fanout.push_back(static_cast<std::uint64_t>(N / G + (p % G < N % G ? 1 : 0)));
    }
    for (int s = 0; s < N; ++s) {
      t.sub_filters.push_back({base + "/g" + std::to_string(s % G) + "/+"});
    }
    t.follows = [G](int s, int p) { return s % G == p % G; };
    return t;
  }
  // fanin and latency: every subscriber hears every publisher through one wildcard.
  for (int p = 0; p < P; ++p) {
    t.pub_topics.push_back(base + "/" + std::to_string(p));
  }
  t.fanout.assign(P, static_cast<std::uint64_t>(N));
  t.sub_filters.assign(N, {base + "/+"});
  t.follows = [](int, int) { return true; };
  return t;
}

/// Everything one run creates, in destruction-safe order (workers outlive clients).
struct Run {
  explicit Run(const Options& o)
      : workers(o.threads),
        latency(o.threads),
        sub_launcher(workers, o.concurrency),
        pub_launcher(workers, o.concurrency) {}
  Workers workers;
  RunState state;
  std::vector<Histogram> latency;
  Launcher sub_launcher;
  Launcher pub_launcher;
  std::unique_ptr<Pacer> pacer;
  std::vector<std::unique_ptr<Subscriber>> subs;
  std::vector<std::unique_ptr<Publisher>> pubs;
};

void create_clients(Run& run, const Options& o, const Topology& t) {
  if (o.rate == 0) {
    std::uint64_t limit = 0;
    for (auto f : t.fanout) {
      limit += f * static_cast<std::uint64_t>(o.window);
    }
    run.pacer = std::make_unique<Pacer>(limit);
  }
  const std::size_t T = run.workers.size();
  for (int s = 0; s < o.subscribers; ++s) {
    SubscriberConfig c{t.sub_filters[s], o.qos, s % T, &run.latency[s % T]};
    run.subs.push_back(std::make_unique<Subscriber>(
        run.state, run.pacer.get(), run.sub_launcher, c, run.workers.io(s % T),
        client_settings(o, "bench-sub-" + std::to_string(s))));
    run.sub_launcher.add(s % T, &run.subs.back()->client());
  }
  for (int p = 0; p < o.publishers; ++p) {
    PublisherConfig c{static_cast<std::uint16_t>(p), t.pub_topics[p], o.qos, o.payload, o.window,
                      o.rate / o.publishers,         t.fanout[p],     p % T};
    run.pubs.push_back(std::make_unique<Publisher>(
        run.state, run.pacer.get(), run.pub_launcher, c, run.workers.io(p % T),
        client_settings(o, "bench-pub-" + std::to_string(p))));
    run.pub_launcher.add(p % T, &run.pubs.back()->client());
  }
}

Results collect(Run& run, const Topology& t) {
  Results r;
  for (auto& p : run.pubs) {
    r.published.push_back(p->published());
  }
  for (std::size_t s = 0; s < run.subs.size(); ++s) {
    r.counts.merge(run.subs[s]->verifier().totals(r.published, [&](std::uint32_t p) {
      return t.follows(static_cast<int>(s), static_cast<int>(p));
    }));
  }
  for (auto& h : run.latency) {
    r.latency.merge(h);
  }
  return r;
}

int report(const Options& o, Run& run, const Snapshot& a, const Snapshot& b, const Results& r) {
  const double secs = std::chrono::duration<double>(b.at - a.at).count();
  const std::string why = verdict(r.counts, o.qos);
  const bool failed = !why.empty() || run.state.failed.load() > 0;
  Summary sum;
  sum.add("scenario", o.scenario).add("broker", o.broker).add("mqtt", o.mqtt).add("qos", o.qos);
  sum.add("payload", static_cast<std::uint64_t>(o.payload))
      .add("pubs", o.publishers)
      .add("subs", o.subscribers);
  sum.add("threads", o.threads).add("rate", o.rate, 0).add("seconds", secs, 2);
  add_measurement(sum, o, a, b, r);
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

}  // namespace

int run_pubsub(const Options& o) {
  const Topology t = make_topology(o);
  Run run(o);
  create_clients(run, o, t);
  run.workers.start();
  if (!connect_all(run.state, o, run.sub_launcher, o.subscribers, "subscribers") ||
      !connect_all(run.state, o, run.pub_launcher, o.publishers, "publishers")) {
    std::cerr << "[ferry-bench] setup failed: " << run.state.first_error << std::endl;
    run.workers.stop();
    return 2;
  }
  for (auto& p : run.pubs) {
    p->begin();
  }
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
  run.workers.stop();
  return report(o, run, a, b, collect(run, t));
}

}  // namespace ferry::bench
