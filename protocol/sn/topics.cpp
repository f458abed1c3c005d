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

}  // namespace ferry::sn
