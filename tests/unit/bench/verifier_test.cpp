#include <catch2/catch.hpp>

#include "bench/lib/verifier.hpp"

using ferry::bench::StreamVerifier;
using ferry::bench::verdict;
using ferry::bench::Verifier;
using ferry::bench::VerifyCounts;

namespace {
VerifyCounts run(std::initializer_list<std::uint64_t> seqs, std::uint64_t published) {
  Verifier v;
  for (auto s : seqs) {
    v.observe(0, s);
  }
  return v.totals({published}, [](std::uint32_t) { return true; });
}
}  // namespace

TEST_CASE("verifier: in-order complete stream") {
  auto c = run({0, 1, 2, 3, 4}, 5);
  CHECK(c.received == 5);
  CHECK(c.lost() == 0);
  CHECK(c.duplicates == 0);
  CHECK(c.reordered == 0);
  CHECK(verdict(c, 2).empty());
}

TEST_CASE("verifier: loss in the middle and at the tail") {
  auto c = run({0, 1, 3, 4}, 7);  // 2 missing, 5 and 6 never came
  CHECK(c.lost() == 3);
  CHECK(c.reordered == 0);
  CHECK(verdict(c, 0).empty());  // QoS 0 loss is a figure
  CHECK(verdict(c, 1).find("3 lost") != std::string::npos);
}

TEST_CASE("verifier: a late arrival is reordering, not a duplicate") {
  auto c = run({0, 2, 3, 1, 4}, 5);
  CHECK(c.reordered == 1);
  CHECK(c.duplicates == 0);
  CHECK(c.lost() == 0);
  CHECK(verdict(c, 1).find("out of order") != std::string::npos);
}

TEST_CASE("verifier: duplicates are counted and fail QoS 2 only") {
  auto c = run({0, 1, 1, 2, 0}, 3);
  CHECK(c.duplicates == 2);
  CHECK(c.lost() == 0);
  CHECK(c.unique() == 3);
  CHECK(verdict(c, 1).empty());
  CHECK(verdict(c, 2).find("2 duplicates") != std::string::npos);
}

TEST_CASE("verifier: filling a gap twice is one reorder and one duplicate") {
  auto c = run({0, 5, 2, 2, 3, 1, 4}, 6);
  CHECK(c.reordered == 4);
  CHECK(c.duplicates == 1);
  CHECK(c.lost() == 0);
}

TEST_CASE("verifier: publishers are tracked separately and only followed ones count") {
  Verifier v;
  v.observe(0, 0);
  v.observe(1, 0);
  v.observe(0, 1);
  v.observe(1, 1);
  auto all = v.totals({2, 2, 9}, [](std::uint32_t p) { return p < 2; });
  CHECK(all.expected == 4);
  CHECK(all.lost() == 0);
  CHECK(all.reordered == 0);
  auto more = v.totals({2, 2, 9}, [](std::uint32_t) { return true; });
  CHECK(more.lost() == 9);
}

TEST_CASE("verifier: more messages than published is reported") {
  auto c = run({0, 1, 2}, 2);
  CHECK(c.extra() == 1);
  CHECK_FALSE(verdict(c, 0).empty());
}

TEST_CASE("verifier: gap memory is bounded") {
  StreamVerifier s(8);
  for (std::uint64_t i = 0; i < 1000; i += 2) {
    s.observe(i);  // every odd number missing: 499 gaps
  }
  CHECK(s.open_gaps() == 8);
  CHECK(s.forgotten_gaps() > 0);
  s.observe(997);  // a remembered gap
  CHECK(s.reordered() == 1);
  s.observe(1);  // a forgotten gap: cannot tell, counted as duplicate
  CHECK(s.duplicates() == 1);
}
