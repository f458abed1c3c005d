#include "bench/lib/verifier.hpp"

#include <iterator>

namespace ferry::bench {

void VerifyCounts::merge(const VerifyCounts& o) {
  expected += o.expected;
  received += o.received;
  duplicates += o.duplicates;
  reordered += o.reordered;
  unknown += o.unknown;
}

void StreamVerifier::observe(std::uint64_t seq) {
  ++received_;
  if (seq == next_) {
    ++next_;
    return;
  }
  if (seq > next_) {
    open_gap(next_, seq);
    next_ = seq + 1;
    return;
  }
  if (fill_gap(seq)) {
    ++reordered_;
  } else {
    ++duplicates_;
  }
}

void StreamVerifier::open_gap(std::uint64_t from, std::uint64_t to) {
  gaps_.emplace(from, to);
  if (gaps_.size() > max_gaps_) {
    gaps_.erase(gaps_.begin());
    ++forgotten_;
  }
}

bool StreamVerifier::fill_gap(std::uint64_t seq) {
  auto it = gaps_.upper_bound(seq);
  if (it == gaps_.begin()) {
    return false;
  }
  it = std::prev(it);
  const std::uint64_t from = it->first;
  const std::uint64_t to = it->second;
  if (seq >= to) {
    return false;
  }
  gaps_.erase(it);
  if (from < seq) {
    gaps_.emplace(from, seq);
  }
  if (seq + 1 < to) {
    gaps_.emplace(seq + 1, to);
  }
  return true;
}

void Verifier::observe(std::uint32_t publisher, std::uint64_t seq) {
  if (publisher >= streams_.size()) {
    streams_.resize(publisher + 1);
  }
  streams_[publisher].observe(seq);
}

const StreamVerifier* Verifier::stream(std::uint32_t publisher) const {
  return publisher < streams_.size() ? &streams_[publisher] : nullptr;
}

std::string verdict(const VerifyCounts& c, int qos) {
  std::string why;
  auto add = [&why](const std::string& s) { why += (why.empty() ? "" : ", ") + s; };
  if (c.unknown > 0) {
    add(std::to_string(c.unknown) + " unrecognised payloads");
  }
  if (c.extra() > 0) {
    add(std::to_string(c.extra()) + " more messages than were published");
  }
  if (qos >= 1 && c.lost() > 0) {
    add(std::to_string(c.lost()) + " lost at QoS " + std::to_string(qos));
  }
  if (qos >= 1 && c.reordered > 0) {
    add(std::to_string(c.reordered) + " out of order at QoS " + std::to_string(qos));
  }
  if (qos == 2 && c.duplicates > 0) {
    add(std::to_string(c.duplicates) + " duplicates at QoS 2");
  }
  return why;
}

}  // namespace ferry::bench
