#include "bench/lib/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace ferry::bench {

std::size_t Histogram::index_of(std::uint64_t value) {
  value = std::min(value, max_trackable);
  if (value < sub_count) {
    return static_cast<std::size_t>(value);
  }
  const int shift = std::bit_width(value) - sub_bits;  // >= 1
  const std::uint64_t mantissa = value >> shift;       // in [half_count, sub_count)
  return sub_count + (shift - 1) * half_count + (mantissa - half_count);
}

std::uint64_t Histogram::lowest_in(std::size_t index) {
  if (index < sub_count) {
    return index;
  }
  const std::size_t k = index - sub_count;
  const int shift = static_cast<int>(k / half_count) + 1;
  const std::uint64_t mantissa = k % half_count + half_count;
  return mantissa << shift;
}

std::uint64_t Histogram::highest_in(std::size_t index) {
  if (index < sub_count) {
    return index;
  }
  const std::size_t k = index - sub_count;
  const int shift = static_cast<int>(k / half_count) + 1;
  const std::uint64_t mantissa = k % half_count + half_count;
  return ((mantissa + 1) << shift) - 1;
}

void Histogram::record(std::uint64_t value) {
  ++counts_[index_of(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += value;
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < bucket_count; ++i) {
    counts_[i] += other.counts_[i];
  }
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void Histogram::reset() {
  *this = Histogram{};
}

double Histogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_ / count_);
}

std::uint64_t Histogram::percentile(double p) const {
  if (count_ == 0) {
    return 0;
  }
  p = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      return std::clamp(highest_in(i), min(), max_);
    }
  }
  return max_;
}

}  // namespace ferry::bench
