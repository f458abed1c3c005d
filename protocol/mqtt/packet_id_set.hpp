// A small set of packet identifiers [MQTT 2.2.1], for what a session holds per id.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ferry::mqtt {

/// A sorted std::vector: 24 bytes and no allocation while empty (a std::unordered_set
/// takes 56 and most sessions hold no id at all), a binary search over the few ids a
/// session holds at once. Clients number packets upwards, so ids mostly join at the end.
class PacketIdSet {
 public:
  /// True if added, false if it was there already.
  bool insert(std::uint16_t id) {
    const auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
    if (it != ids_.end() && *it == id) {
      return false;
    }
    ids_.insert(it, id);
    return true;
  }
  bool contains(std::uint16_t id) const { return std::binary_search(ids_.begin(), ids_.end(), id); }
  /// How many were removed, 0 or 1 (as std::set::erase).
  std::size_t erase(std::uint16_t id) {
    const auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
    if (it == ids_.end() || *it != id) {
      return 0;
    }
    ids_.erase(it);
    if (ids_.empty()) {
      std::vector<std::uint16_t>().swap(ids_);  // as promised: nothing held while empty
    }
    return 1;
  }
  std::size_t size() const { return ids_.size(); }
  bool empty() const { return ids_.empty(); }
  void clear() { std::vector<std::uint16_t>().swap(ids_); }

 private:
  std::vector<std::uint16_t> ids_;
};

}  // namespace ferry::mqtt
