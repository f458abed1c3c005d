#include "protocol/sn/topics.hpp"

#include <algorithm>

namespace ferry::sn {

void PredefinedTopics::Table::add(std::uint16_t id, std::string topic) {
  auto old = by_id.find(id);
  if (old != by_id.end()) {
    by_name.erase(old->second);
  }
  by_name[topic] = id;
  by_id[id] = std::move(topic);
}

void PredefinedTopics::add(std::uint16_t id, std::string topic) {
  global_.add(id, std::move(topic));
}

void PredefinedTopics::add(const std::string& client_id, std::uint16_t id, std::string topic) {
  clients_[client_id].add(id, std::move(topic));
}

const PredefinedTopics::Table* PredefinedTopics::client_table(std::string_view client_id) const {
  if (client_id.empty() || clients_.empty()) {
    return nullptr;
  }
  auto it = clients_.find(std::string(client_id));
  return it == clients_.end() ? nullptr : &it->second;
}

const std::string* PredefinedTopics::name_of(std::string_view client_id, std::uint16_t id) const {
  if (const Table* own = client_table(client_id)) {
    auto it = own->by_id.find(id);
    if (it != own->by_id.end()) {
      return &it->second;
    }
  }
  auto it = global_.by_id.find(id);
  return it == global_.by_id.end() ? nullptr : &it->second;
}

std::optional<std::uint16_t> PredefinedTopics::id_of(std::string_view client_id,
                                                     std::string_view topic) const {
  std::string key(topic);
  if (const Table* own = client_table(client_id)) {
    auto it = own->by_name.find(key);
    if (it != own->by_name.end()) {
      return it->second;
    }
  }
  auto it = global_.by_name.find(key);
  if (it == global_.by_name.end()) {
    return std::nullopt;
  }
  // A per-client entry may have given this id another meaning for this client.
  const std::string* name = name_of(client_id, it->second);
  if (!name || *name != topic) {
    return std::nullopt;
  }
  return it->second;
}

std::vector<TopicRegistry::Entry>::iterator TopicRegistry::find_name(std::string_view name) {
  return std::lower_bound(entries_.begin(), entries_.end(), name,
                          [](const Entry& e, std::string_view n) { return e.name < n; });
}

std::vector<TopicRegistry::Entry>::const_iterator TopicRegistry::find_id(std::uint16_t id) const {
  return std::find_if(entries_.begin(), entries_.end(),
                      [id](const Entry& e) { return e.id == id; });
}

std::optional<std::uint16_t> TopicRegistry::assign(std::string_view name, bool confirmed) {
  auto at = find_name(name);
  if (at != entries_.end() && at->name == name) {
    at->confirmed = at->confirmed || confirmed;
    return at->id;
  }
  if (entries_.size() >= max_topics_ || entries_.size() >= 0xFFFE) {
    return std::nullopt;
  }
  while (next_ == 0 || next_ == 0xFFFF || find_id(next_) != entries_.end()) {
    next_ = static_cast<std::uint16_t>(next_ >= 0xFFFE ? 1 : next_ + 1);
  }
  std::uint16_t id = next_;
  next_ = static_cast<std::uint16_t>(next_ >= 0xFFFE ? 1 : next_ + 1);
  entries_.insert(at, Entry{std::string(name), id, confirmed});
  return id;
}

bool TopicRegistry::restore(std::uint16_t id, std::string_view name) {
  auto at = find_name(name);
  if (id == 0 || id == 0xFFFF || entries_.size() >= max_topics_ ||
      (at != entries_.end() && at->name == name) || find_id(id) != entries_.end()) {
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

const std::string* TopicRegistry::name_of(std::uint16_t id) const {
  auto it = find_id(id);
  return it == entries_.end() ? nullptr : &it->name;
}

std::optional<std::uint16_t> TopicRegistry::confirmed_id(std::string_view name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const Entry& e, std::string_view n) { return e.name < n; });
  if (it == entries_.end() || it->name != name || !it->confirmed) {
    return std::nullopt;
  }
  return it->id;
}

}  // namespace ferry::sn
