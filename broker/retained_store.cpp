#include "broker/retained_store.hpp"

#include "broker/topic_levels.hpp"

#include <string>
#include <unordered_map>
#include <utility>

namespace ferry::broker {

namespace {

using levels::next_level;
using levels::StringHash;

using levels::npos;

bool starts_with_dollar(std::string_view level) {
  return !level.empty() && level.front() == '$';
}

std::size_t footprint(const Message& message) {
  return message.topic.size() + message.payload_size();
}

}  // namespace

struct RetainedStore::Node {
  Node* parent = nullptr;
  std::string level;  // key in the parent's `children`
  std::unordered_map<std::string, std::unique_ptr<Node>, StringHash, std::equal_to<>> children;
  MessagePtr message;

  Node* child(std::string_view name) const {
    const auto it = children.find(name);
    return it == children.end() ? nullptr : it->second.get();
  }
};

RetainedStore::RetainedStore() : root_(std::make_unique<Node>()) {}
RetainedStore::~RetainedStore() = default;
RetainedStore::RetainedStore(RetainedStore&&) noexcept = default;
RetainedStore& RetainedStore::operator=(RetainedStore&&) noexcept = default;

bool RetainedStore::set(MessagePtr message) {
  if (!message) {
    return false;
  }
  if (message->payload_size() == 0) {
    return erase(message->topic);  // [MQTT-3.3.1-6, -7]
  }
  Node* node = root_.get();
  for (std::size_t pos = 0; pos != npos;) {
    const std::string_view level = next_level(message->topic, pos, pos);
    Node* child = node->child(level);
    if (child == nullptr) {
      auto created = std::make_unique<Node>();
      created->parent = node;
      created->level = std::string(level);
      child = created.get();
      node->children.emplace(std::string(level), std::move(created));
    }
    node = child;
  }
  if (node->message) {
    bytes_ -= footprint(*node->message);
  } else {
    ++count_;
  }
  bytes_ += footprint(*message);
  node->message = std::move(message);
  return true;
}

bool RetainedStore::erase(std::string_view topic) {
  Node* node = root_.get();
  for (std::size_t pos = 0; pos != npos && node != nullptr;) {
    node = node->child(next_level(topic, pos, pos));
  }
  if (node == nullptr || !node->message) {
    return false;
  }
  bytes_ -= footprint(*node->message);
  --count_;
  node->message.reset();
  while (node != root_.get() && !node->message && node->children.empty()) {
    Node* parent = node->parent;
    parent->children.erase(node->level);  // destroys `node`
    node = parent;
  }
  return true;
}

void RetainedStore::match(std::string_view filter, std::vector<MessagePtr>& out) const {
  match_from(*root_, filter, 0, true, out);
}

/// Matches the filter's levels from `pos` on against the subtree under `node`.
void RetainedStore::match_from(const Node& node, std::string_view filter, std::size_t pos,
                               bool at_root, std::vector<MessagePtr>& out) {
  if (pos == npos) {
    if (node.message) {
      out.push_back(node.message);
    }
    return;
  }
  std::size_t next = npos;
  const std::string_view level = next_level(filter, pos, next);
  if (level == "#") {
    collect_subtree(node, at_root, out);  // the parent level too [MQTT-4.7.1-2]
    return;
  }
  if (level == "+") {
    for (const auto& [name, child] : node.children) {
      if (!(at_root && starts_with_dollar(name))) {  // [MQTT-4.7.2-1]
        match_from(*child, filter, next, false, out);
      }
    }
    return;
  }
  if (const Node* child = node.child(level)) {
    match_from(*child, filter, next, false, out);
  }
}

/// Everything at and below `node`; at the root, '$' topics are left out [MQTT-4.7.2-1].
void RetainedStore::collect_subtree(const Node& node, bool at_root, std::vector<MessagePtr>& out) {
  if (node.message) {
    out.push_back(node.message);
  }
  for (const auto& [name, child] : node.children) {
    if (!(at_root && starts_with_dollar(name))) {
      collect_subtree(*child, false, out);
    }
  }
}

void RetainedStore::for_each(const std::function<void(const MessagePtr&)>& visit) const {
  std::vector<const Node*> pending{root_.get()};
  while (!pending.empty()) {
    const Node* node = pending.back();
    pending.pop_back();
    if (node->message) {
      visit(node->message);
    }
    for (const auto& [name, child] : node->children) {
      pending.push_back(child.get());
    }
  }
}

}  // namespace ferry::broker
