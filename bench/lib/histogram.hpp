// Bounded-memory latency histogram in the HDR style: 256 linear buckets, then 128
// sub-buckets per power of two, so any recorded value is reported within 1/128 (< 0.8 %)
// of its true value. Fixed size (about 43 KiB) whatever the number of samples.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ferry::bench {

class Histogram {
 public:
  static constexpr int sub_bits = 8;
  static constexpr std::uint64_t sub_count = 1ULL << sub_bits;  // 256
  static constexpr std::uint64_t half_count = sub_count / 2;    // 128
  static constexpr int max_shift = 40;                          // values up to 2^48
  static constexpr std::size_t bucket_count = sub_count + max_shift * half_count;
  static constexpr std::uint64_t max_trackable = (sub_count << max_shift) - 1;

  /// Records one value; values above max_trackable land in the last bucket.
  void record(std::uint64_t value);
  void merge(const Histogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  double mean() const;
  /// Value at percentile `p` (0..100): the highest value equivalent to the bucket that
  /// holds the sample of that rank, never above the exact maximum. 0 when empty.
  std::uint64_t percentile(double p) const;

  static std::size_t index_of(std::uint64_t value);
  static std::uint64_t lowest_in(std::size_t index);
  static std::uint64_t highest_in(std::size_t index);

 private:
  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = ~0ULL;
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace ferry::bench
