// Retained messages [MQTT 3.3.1.3]: at most one per topic name, kept in a topic-level tree
// so a SUBSCRIBE's filter visits only the branches it can match. std only.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "broker/message.hpp"

namespace ferry::broker {

/// Topic name -> retained message. Not thread-safe: the caller serialises every call.
class RetainedStore {
 public:
  RetainedStore();
  ~RetainedStore();
  RetainedStore(RetainedStore&&) noexcept;
  RetainedStore& operator=(RetainedStore&&) noexcept;
  RetainedStore(const RetainedStore&) = delete;
  RetainedStore& operator=(const RetainedStore&) = delete;

  /// Stores `message` as the retained message of message->topic, replacing any previous
  /// one [MQTT-3.3.1-5]; an empty payload erases it and is not stored [MQTT-3.3.1-6, -7].
  /// Returns true if the store changed (a replacement always counts as a change).
  bool set(MessagePtr message);

  /// Appends every retained message whose topic matches `filter` (a valid plain,
  /// non-shared filter). Wildcard-first filters skip '$' topics [MQTT-4.7.2-1].
  /// Expiry is not checked here: the caller drops expired messages.
  void match(std::string_view filter, std::vector<MessagePtr>& out) const;

  std::size_t size() const { return count_; }
  /// Sum of payload and topic sizes of the stored messages.
  std::size_t bytes() const { return bytes_; }

  /// Visits every stored message (persistence, restore checks), in no particular order.
  void for_each(const std::function<void(const MessagePtr&)>& visit) const;

 private:
  struct Node;

  bool erase(std::string_view topic);
  static void match_from(const Node& node, std::string_view filter, std::size_t pos, bool at_root,
                         std::vector<MessagePtr>& out);
  static void collect_subtree(const Node& node, bool at_root, std::vector<MessagePtr>& out);

  std::unique_ptr<Node> root_;
  std::size_t count_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace ferry::broker
