// MQTT-SN predefined topic ids [MQTT-SN 6.7]: the gateway-wide table (with per-client
// overrides). Each client's normal ids: topic_registry.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ferry::sn {

/// Predefined topic ids, known in advance by the gateway and its clients [MQTT-SN 6.7].
/// Built at start-up (from configuration), then shared read-only by every session.
class PredefinedTopics {
 public:
  /// Adds (or replaces) a gateway-wide predefined id.
  void add(std::uint16_t id, std::string topic);
  /// Adds (or replaces) an id for one client only; it wins over a global id.
  void add(const std::string& client_id, std::uint16_t id, std::string topic);

  /// The topic of predefined `id` for `client_id` (empty client id: the global table only).
  const std::string* name_of(std::string_view client_id, std::uint16_t id) const;
  /// The predefined id under which `client_id` knows `topic`, if any.
  std::optional<std::uint16_t> id_of(std::string_view client_id, std::string_view topic) const;

  bool empty() const { return global_.by_id.empty() && clients_.empty(); }

 private:
  struct Table {
    std::unordered_map<std::uint16_t, std::string> by_id;
    std::unordered_map<std::string, std::uint16_t> by_name;
    void add(std::uint16_t id, std::string topic);
  };
  const Table* client_table(std::string_view client_id) const;

  Table global_;
  std::unordered_map<std::string, Table> clients_;
};

}  // namespace ferry::sn
