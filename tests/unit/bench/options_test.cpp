#include <catch2/catch.hpp>
#include <vector>

#include "bench/lib/options.hpp"
#include "bench/lib/summary.hpp"

using ferry::bench::Options;

namespace {
int parse(std::vector<const char*> args, Options& o) {
  args.insert(args.begin(), "ferry-bench");
  return ferry::bench::parse_options(static_cast<int>(args.size()), args.data(), o);
}
}  // namespace

TEST_CASE("options: a fanout scenario parses") {
  Options o;
  REQUIRE(
      parse({"fanout", "-n", "1000", "-q", "1", "--payload", "64", "--port", "1884", "--mqtt", "5"},
            o) == 0);
  CHECK(o.scenario == "fanout");
  CHECK(o.subscribers == 1000);
  CHECK(o.qos == 1);
  CHECK(o.payload == 64);
  CHECK(o.port == 1884);
  CHECK(o.mqtt == "5");
}

TEST_CASE("options: invalid combinations are refused") {
  Options a;
  CHECK(parse({"latency"}, a) != 0);  // needs --rate
  Options b;
  CHECK(parse({"fanout", "--payload", "8"}, b) != 0);  // no room for the stamp
  Options c;
  CHECK(parse({"fanout", "-q", "3"}, c) != 0);
  Options d;
  CHECK(parse({"nosuch"}, d) != 0);
  Options e;
  CHECK(parse({"fanin", "-n", "2"}, e) != 0);
  Options f;
  CHECK(parse({"connect", "-c", "19000", "--broker-pid", "42"}, f) == 0);
  CHECK(f.connections == 19000);
}

TEST_CASE("summary: one key=value line, values kept splittable") {
  ferry::bench::Summary s;
  s.add("scenario", "fanout").add("subs", 1000).add("rate", 1.25, 2).add("note", "a b=c");
  CHECK(s.line() == "scenario=fanout subs=1000 rate=1.25 note=a_b_c");
}

TEST_CASE("options: MQTT-SN scenarios") {
  Options a;
  REQUIRE(parse({"snfanout", "-n", "10000", "--sn-port", "1999", "--sn-rcvbuf", "65536"}, a) == 0);
  CHECK(a.scenario == "snfanout");
  CHECK(a.subscribers == 10000);
  CHECK(a.sn_port == 1999);
  CHECK(a.sn_rcvbuf == 65536);
  Options b;
  REQUIRE(parse({"snfanin", "-p", "10000", "--sn-window", "512"}, b) == 0);
  CHECK(b.publishers == 10000);
  CHECK(b.sn_window == 512);
  Options c;
  CHECK(parse({"snfanout", "-q", "2"}, c) != 0);  // the SN subscriber answers QoS 1 only
  Options d;
  CHECK(parse({"snfanin", "-q", "1"}, d) != 0);
  Options e;
  CHECK(parse({"snfanin", "-n", "3"}, e) != 0);
  Options f;
  CHECK(parse({"snfanout", "-p", "2"}, f) != 0);
  Options g;
  CHECK(parse({"snfanout", "--unix", "/tmp/x.sock"}, g) != 0);
  Options h;
  CHECK(parse({"snfanout", "-s", "8"}, h) != 0);  // no room for the stamp
}
