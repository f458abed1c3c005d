#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "bench/lib/histogram.hpp"

using ferry::bench::Histogram;

namespace {
bool within(std::uint64_t got, double want, double rel) {
  return std::abs(static_cast<double>(got) - want) <= rel * want + 1;
}
}  // namespace

TEST_CASE("histogram: small values are exact") {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) {
    h.record(v);
  }
  CHECK(h.count() == 100);
  CHECK(h.min() == 1);
  CHECK(h.max() == 100);
  CHECK(h.percentile(50) == 50);
  CHECK(h.percentile(99) == 99);
  CHECK(h.percentile(100) == 100);
  CHECK(h.mean() == Approx(50.5));
}

TEST_CASE("histogram: uniform distribution percentiles within 1%") {
  Histogram h;
  for (std::uint64_t v = 1; v <= 1'000'000; ++v) {
    h.record(v);
  }
  CHECK(within(h.percentile(50), 500'000, 0.01));
  CHECK(within(h.percentile(99), 990'000, 0.01));
  CHECK(within(h.percentile(99.9), 999'000, 0.01));
  CHECK(h.percentile(100) == 1'000'000);
}

TEST_CASE("histogram: exponential distribution matches its quantile function") {
  Histogram h;
  std::mt19937_64 rng(42);
  std::exponential_distribution<double> exp(1.0 / 10'000.0);  // mean 10 us in ns
  for (int i = 0; i < 200'000; ++i) {
    h.record(static_cast<std::uint64_t>(exp(rng)));
  }
  // Quantile of Exp(mean m): -m ln(1-p). Sampling noise dominates the bucket error.
  CHECK(within(h.percentile(50), -10'000 * std::log(0.5), 0.03));
  CHECK(within(h.percentile(99), -10'000 * std::log(0.01), 0.05));
}

TEST_CASE("histogram: bucket bounds and relative error") {
  for (std::uint64_t v : {0ULL, 1ULL, 255ULL, 256ULL, 257ULL, 1000ULL, 123456789ULL, 1ULL << 40}) {
    const auto i = Histogram::index_of(v);
    CHECK(Histogram::lowest_in(i) <= v);
    CHECK(Histogram::highest_in(i) >= v);
    CHECK(static_cast<double>(Histogram::highest_in(i) - Histogram::lowest_in(i)) <=
          static_cast<double>(v) / 128.0 + 1);
  }
  for (std::size_t i = 1; i < Histogram::bucket_count; ++i) {
    CHECK(Histogram::lowest_in(i) == Histogram::highest_in(i - 1) + 1);
  }
}

TEST_CASE("histogram: memory is bounded whatever is recorded") {
  Histogram h;
  const auto size_before = sizeof(h);
  h.record(~0ULL);  // beyond max_trackable: clamps into the last bucket
  h.record(Histogram::max_trackable);
  for (int i = 0; i < 1'000'000; ++i) {
    h.record(static_cast<std::uint64_t>(i) * 7919);
  }
  CHECK(sizeof(h) == size_before);
  CHECK(sizeof(Histogram) < 64 * 1024);
  CHECK(Histogram::index_of(~0ULL) == Histogram::bucket_count - 1);
  CHECK(h.max() == ~0ULL);
}

TEST_CASE("histogram: merge equals recording into one") {
  Histogram a, b, all;
  for (std::uint64_t v = 0; v < 5000; ++v) {
    (v % 2 ? a : b).record(v * 13);
    all.record(v * 13);
  }
  a.merge(b);
  CHECK(a.count() == all.count());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    CHECK(a.percentile(p) == all.percentile(p));
  }
  Histogram empty;
  CHECK(empty.percentile(99) == 0);
  CHECK(empty.min() == 0);
}
