#include "protocol/sn/topics.hpp"

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

std::optional<std::uint16_t> TopicRegistry::assign(std::string_view name, bool confirmed) {
  auto found = by_name_.find(std::string(name));
  if (found != by_name_.end()) {
    if (confirmed) {
      by_id_[found->second].confirmed = true;
    }
    return found->second;
  }
  if (by_id_.size() >= max_topics_ || by_id_.size() >= 0xFFFE) {
    return std::nullopt;
  }
  while (next_ == 0 || next_ == 0xFFFF || by_id_.contains(next_)) {
    next_ = static_cast<std::uint16_t>(next_ >= 0xFFFE ? 1 : next_ + 1);
  }
  std::uint16_t id = next_;
  next_ = static_cast<std::uint16_t>(next_ >= 0xFFFE ? 1 : next_ + 1);
  by_id_[id] = Entry{std::string(name), confirmed};
  by_name_[std::string(name)] = id;
  return id;
}

void TopicRegistry::confirm(std::uint16_t id) {
  auto it = by_id_.find(id);
  if (it != by_id_.end()) {
    it->second.confirmed = true;
  }
}

void TopicRegistry::erase(std::uint16_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) {
    return;
  }
  by_name_.erase(it->second.name);
  by_id_.erase(it);
}

const std::string* TopicRegistry::name_of(std::uint16_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second.name;
}

std::optional<std::uint16_t> TopicRegistry::confirmed_id(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end() || !by_id_.at(it->second).confirmed) {
    return std::nullopt;
  }
  return it->second;
}

}  // namespace ferry::sn
