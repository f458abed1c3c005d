#include "protocol/sn/topic_registry.hpp"

#include <algorithm>

namespace ferry::sn {

namespace {

constexpr std::uint16_t last_id = 0xFFFE;  // 0xFFFF is reserved [MQTT-SN 5.3.11]

/// The first entry whose name is not less than `name` (entries are sorted by name).
template <class Entries>
auto name_position(Entries& entries, std::string_view name) {
  return std::lower_bound(entries.begin(), entries.end(), name,
                          [](const auto& e, std::string_view n) { return e.name < n; });
}

}  // namespace

std::vector<TopicRegistry::Entry>::iterator TopicRegistry::find_name(std::string_view name) {
  return name_position(entries_, name);
}

std::vector<TopicRegistry::Entry>::const_iterator TopicRegistry::find_id(std::uint16_t id) const {
  return std::find_if(entries_.begin(), entries_.end(),
                      [id](const Entry& e) { return e.id == id; });
}

/// One past the highest id in use, so an id dropped below the top is not reused at once
/// (a reused id is announced by a gateway REGISTER anyway); once the top is reached, the
/// lowest free one. Called only when fewer than 0xFFFE ids are in use.
std::uint16_t TopicRegistry::free_id() const {
  std::uint16_t highest = 0;
  for (const Entry& e : entries_) {
    highest = std::max(highest, e.id);
  }
  if (highest < last_id) {
    return static_cast<std::uint16_t>(highest + 1);
  }
  std::vector<std::uint16_t> used;
  used.reserve(entries_.size());
  for (const Entry& e : entries_) {
    used.push_back(e.id);
  }
  std::sort(used.begin(), used.end());
  std::uint16_t candidate = 1;
  for (std::uint16_t id : used) {
    if (id != candidate) {
      break;
    }
    ++candidate;
  }
  return candidate;
}

std::optional<std::uint16_t> TopicRegistry::assign(std::string_view name, bool confirmed,
                                                   std::size_t max_topics) {
  auto at = find_name(name);
  if (at != entries_.end() && at->name == name) {
    at->confirmed = at->confirmed || confirmed;
    return at->id;
  }
  if (entries_.size() >= max_topics || entries_.size() >= last_id) {
    return std::nullopt;
  }
  std::uint16_t id = free_id();
  entries_.insert(at, Entry{std::string(name), id, confirmed});
  return id;
}

bool TopicRegistry::restore(std::uint16_t id, std::string_view name) {
  auto at = find_name(name);
  if (id == 0 || id > last_id || (at != entries_.end() && at->name == name) ||
      find_id(id) != entries_.end()) {
    return false;
  }
  entries_.insert(at, Entry{std::string(name), id, true});
  return true;
}

void TopicRegistry::confirm(std::uint16_t id) {
  auto it = find_id(id);
  if (it != entries_.end()) {
    entries_[static_cast<std::size_t>(it - entries_.begin())].confirmed = true;
  }
}

void TopicRegistry::erase(std::uint16_t id) {
  auto it = find_id(id);
  if (it != entries_.end()) {
    entries_.erase(it);
  }
}

void TopicRegistry::drop_unconfirmed() {
  std::erase_if(entries_, [](const Entry& e) { return !e.confirmed; });
}

const std::string* TopicRegistry::name_of(std::uint16_t id) const {
  auto it = find_id(id);
  return it == entries_.end() ? nullptr : &it->name;
}

std::optional<std::uint16_t> TopicRegistry::confirmed_id(std::string_view name) const {
  auto it = name_position(entries_, name);
  if (it == entries_.end() || it->name != name || !it->confirmed) {
    return std::nullopt;
  }
  return it->id;
}

}  // namespace ferry::sn
