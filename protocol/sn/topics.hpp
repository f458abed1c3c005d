// MQTT-SN topic ids [MQTT-SN 6.5, 6.7]: the gateway-wide table of predefined ids (with
// per-client overrides) and each client's registry of normal topic ids.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

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

/// One client's normal topic ids [MQTT-SN 6.5]: registered by the client (REGISTER ->
/// REGACK), assigned for a SUBSCRIBE by name, or registered by the gateway before a
/// delivery (confirmed only once the client's REGACK accepts it). Ids run 0x0001-0xFFFE;
/// 0x0000 and 0xFFFF are reserved [MQTT-SN 5.3.11].
class TopicRegistry {
 public:
  explicit TopicRegistry(std::size_t max_topics) : max_topics_(max_topics) {}

  /// The id of `name`, confirming it; a new id when there is none; nullopt when full.
  std::optional<std::uint16_t> assign(std::string_view name, bool confirmed = true);
  /// Puts back a registration the session kept (confirmed); false if the id or the name
  /// is taken already, or the registry is full.
  bool restore(std::uint16_t id, std::string_view name);
  /// Marks a gateway-registered id as known to the client.
  void confirm(std::uint16_t id);
  void erase(std::uint16_t id);

  /// The topic for an id the client may use (confirmed or not).
  const std::string* name_of(std::uint16_t id) const;
  /// The id the gateway may publish with: only a confirmed one.
  std::optional<std::uint16_t> confirmed_id(std::string_view name) const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string name;
    std::uint16_t id = 0;
    bool confirmed = false;
  };
  std::vector<Entry>::iterator find_name(std::string_view name);
  std::vector<Entry>::const_iterator find_id(std::uint16_t id) const;

  std::size_t max_topics_;
  // Sorted by name: a sensor has a few topics, and a flat vector costs a few dozen bytes
  // where two hash maps cost hundreds; lookups by name (every delivery) stay O(log n).
  std::vector<Entry> entries_;
  std::uint16_t next_ = 1;
};

}  // namespace ferry::sn
