// Delivery verification: per subscriber and per publisher, sequence numbers taken from
// the payload must arrive in order and exactly once. Counts loss, duplicates and
// reordering so a run can say what went wrong rather than just "mismatch".
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ferry::bench {

/// What one subscriber saw (or many, merged), against what was published to it.
struct VerifyCounts {
  std::uint64_t expected = 0;    // messages published on streams this subscriber follows
  std::uint64_t received = 0;    // every arrival, duplicates included
  std::uint64_t duplicates = 0;  // arrivals of a sequence number already seen
  std::uint64_t reordered = 0;   // arrivals that filled an earlier gap (came late)
  std::uint64_t unknown = 0;     // payloads from no known publisher / malformed
  std::uint64_t unique() const { return received - duplicates; }
  std::uint64_t lost() const { return expected > unique() ? expected - unique() : 0; }
  std::uint64_t extra() const { return unique() > expected ? unique() - expected : 0; }
  void merge(const VerifyCounts& o);
};

/// One publisher's stream as seen by one subscriber. Memory is bounded: at most
/// `max_gaps` open gaps are remembered; older ones are forgotten (a late arrival into a
/// forgotten gap is then counted as a duplicate, and `forgotten_gaps` says so).
class StreamVerifier {
 public:
  explicit StreamVerifier(std::size_t max_gaps = 4096) : max_gaps_(max_gaps) {}
  void observe(std::uint64_t seq);
  std::uint64_t received() const { return received_; }
  std::uint64_t duplicates() const { return duplicates_; }
  std::uint64_t reordered() const { return reordered_; }
  std::uint64_t next_expected() const { return next_; }
  std::size_t open_gaps() const { return gaps_.size(); }
  std::uint64_t forgotten_gaps() const { return forgotten_; }

 private:
  void open_gap(std::uint64_t from, std::uint64_t to);
  bool fill_gap(std::uint64_t seq);

  std::size_t max_gaps_;
  std::uint64_t next_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t reordered_ = 0;
  std::uint64_t forgotten_ = 0;
  std::map<std::uint64_t, std::uint64_t> gaps_;  // first missing -> one past last missing
};

/// All streams one subscriber follows, indexed by publisher id.
class Verifier {
 public:
  void observe(std::uint32_t publisher, std::uint64_t seq);
  void observe_unknown() { ++unknown_; }
  /// Counts for this subscriber given how many messages each publisher sent and which
  /// publishers it follows (`follows(p)`).
  template <class Follows>
  VerifyCounts totals(const std::vector<std::uint64_t>& published, Follows follows) const;
  const StreamVerifier* stream(std::uint32_t publisher) const;

 private:
  std::vector<StreamVerifier> streams_;
  std::uint64_t unknown_ = 0;
};

template <class Follows>
VerifyCounts Verifier::totals(const std::vector<std::uint64_t>& published, Follows follows) const {
  VerifyCounts c;
  c.unknown = unknown_;
  for (std::uint32_t p = 0; p < published.size(); ++p) {
    if (follows(p)) {
      c.expected += published[p];
    }
  }
  for (const auto& s : streams_) {
    c.received += s.received();
    c.duplicates += s.duplicates();
    c.reordered += s.reordered();
  }
  return c;
}

/// Verdict for a whole run. QoS 0 loss is a figure, not a failure; QoS >= 1 loss and
/// reordering fail; duplicates fail at QoS 2. Empty string = pass.
std::string verdict(const VerifyCounts& c, int qos);

}  // namespace ferry::bench
