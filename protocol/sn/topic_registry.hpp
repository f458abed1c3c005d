// One MQTT-SN client's normal topic ids [MQTT-SN 6.5]. Kept in the session state
// (mqtt::SessionState::sn_topic_ids) rather than in the gateway session: the ids belong
// to the session, so a reconnect with CleanSession 0, or a restart, gives them back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::sn {

/// Ids are registered by the client (REGISTER -> REGACK), assigned for a SUBSCRIBE by
/// name, or registered by the gateway before a delivery (confirmed only once the client's
/// REGACK accepts it). Ids run 0x0001-0xFFFE; 0x0000 and 0xFFFF are reserved
/// [MQTT-SN 5.3.11].
class TopicRegistry {
 public:
  struct Entry {
    std::string name;
    std::uint16_t id = 0;
    bool confirmed = false;
    bool operator==(const Entry&) const = default;
  };

  /// The id of `name`, confirming it; a new id when there is none; nullopt when the
  /// client has `max_topics` ids already.
  std::optional<std::uint16_t> assign(std::string_view name, bool confirmed,
                                      std::size_t max_topics);
  /// Puts back a confirmed registration (from storage); false if the id is reserved or
  /// the id or the name is taken already.
  bool restore(std::uint16_t id, std::string_view name);
  /// Marks a gateway-registered id as known to the client.
  void confirm(std::uint16_t id);
  void erase(std::uint16_t id);
  /// Forgets gateway registrations the client never confirmed (its connection ended).
  void drop_unconfirmed();

  /// The topic for an id the client may use (confirmed or not).
  const std::string* name_of(std::uint16_t id) const;
  /// The id the gateway may publish with: only a confirmed one.
  std::optional<std::uint16_t> confirmed_id(std::string_view name) const;
  std::size_t size() const { return entries_.size(); }
  /// Sorted by name.
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry>::iterator find_name(std::string_view name);
  std::vector<Entry>::const_iterator find_id(std::uint16_t id) const;
  std::uint16_t free_id() const;

  // Sorted by name: a sensor has a few topics, and a flat vector costs a few dozen bytes
  // where two hash maps cost hundreds; lookups by name (every delivery) stay O(log n).
  std::vector<Entry> entries_;
};

}  // namespace ferry::sn
