#include "broker/subscription_trie.hpp"

#include "broker/topic_levels.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <span>
#include <utility>

namespace ferry::broker {

namespace {

using levels::next_level;
using levels::StringHash;

using levels::npos;
constexpr std::size_t kMaxRuns = 16;  // matching nodes merged without a full sort

struct Entry {
  SubscriberKey who;
  SubscriptionOptions options;
};

using Entries = std::vector<Entry>;  // sorted by `who`

Entries::iterator lower_bound(Entries& entries, SubscriberKey who) {
  return std::lower_bound(entries.begin(), entries.end(), who,
                          [](const Entry& entry, SubscriberKey key) { return entry.who < key; });
}

/// Inserts or replaces; true if inserted.
bool upsert(Entries& entries, SubscriberKey who, const SubscriptionOptions& options) {
  auto it = lower_bound(entries, who);
  if (it != entries.end() && it->who == who) {
    it->options = options;  // replaces the existing subscription [MQTT-3.8.4-3]
    return false;
  }
  entries.insert(it, Entry{who, options});
  return true;
}

bool erase_entry(Entries& entries, SubscriberKey who) {
  auto it = lower_bound(entries, who);
  if (it == entries.end() || it->who != who) {
    return false;
  }
  entries.erase(it);
  return true;
}

bool skipped(const Entry& entry, const std::optional<SubscriberKey>& publisher) {
  return entry.options.no_local && publisher && *publisher == entry.who;  // [MQTT-3.8.3-3]
}

void append_delivery(const Entry& entry, std::vector<Delivery>& out) {
  Delivery& delivery = out.emplace_back();
  delivery.who = entry.who;
  delivery.qos = entry.options.qos;
  delivery.retain_as_published = entry.options.retain_as_published;
  if (entry.options.subscription_id != 0) {
    delivery.subscription_ids.push_back(entry.options.subscription_id);
  }
}

/// Room for `extra` more deliveries, keeping geometric growth across calls.
void reserve_more(std::vector<Delivery>& out, std::size_t extra) {
  if (out.capacity() < out.size() + extra) {
    out.reserve(std::max(out.size() + extra, out.capacity() * 2));
  }
}

void append_all(const Entries& entries, const std::optional<SubscriberKey>& publisher,
                std::vector<Delivery>& out) {
  for (const Entry& entry : entries) {
    if (!skipped(entry, publisher)) {
      append_delivery(entry, out);
    }
  }
}

/// Folds `from` into `into` (same subscriber): max QoS [MQTT-3.3.5-1], any Retain As
/// Published, every subscription identifier [MQTT-3.3.4-3].
void absorb(Delivery& into, const Delivery& from) {
  into.qos = std::max(into.qos, from.qos);
  into.retain_as_published = into.retain_as_published || from.retain_as_published;
  into.subscription_ids.insert(into.subscription_ids.end(), from.subscription_ids.begin(),
                               from.subscription_ids.end());
}

bool by_who(const Delivery& a, const Delivery& b) {
  return a.who < b.who;
}

/// Merges deliveries to the same subscriber in out[start..] by sorting; in place.
void merge_deliveries(std::vector<Delivery>& out, std::size_t start) {
  const auto first = out.begin() + static_cast<std::ptrdiff_t>(start);
  if (first == out.end()) {
    return;
  }
  std::sort(first, out.end(), by_who);
  auto kept = first;
  for (auto it = std::next(first); it != out.end(); ++it) {
    if (it->who == kept->who) {
      absorb(*kept, *it);
    } else if (++kept != it) {
      *kept = std::move(*it);
    }
  }
  out.erase(std::next(kept), out.end());
}

/// out[start, mid) is sorted by subscriber and duplicate-free (one node's run); out[mid..)
/// is the, typically small, rest. Folds the rest into the run: sorts only the rest and
/// binary-searches the run, so the big fan-out run is neither sorted nor moved.
void merge_into_run(std::vector<Delivery>& out, std::size_t start, std::size_t mid) {
  merge_deliveries(out, mid);
  const auto run_begin = out.begin() + static_cast<std::ptrdiff_t>(start);
  const auto run_end = out.begin() + static_cast<std::ptrdiff_t>(mid);
  auto kept = run_end;
  for (auto it = run_end; it != out.end(); ++it) {
    const auto found = std::lower_bound(run_begin, run_end, *it, by_who);
    if (found != run_end && found->who == it->who) {
      absorb(*found, *it);
    } else {
      if (kept != it) {
        *kept = std::move(*it);
      }
      ++kept;
    }
  }
  out.erase(kept, out.end());
}

/// Appends the matching nodes' subscribers, the largest node first, and merges.
void append_runs(std::span<const Entries* const> runs,
                 const std::optional<SubscriberKey>& publisher, std::vector<Delivery>& out) {
  std::size_t total = 0;
  for (const Entries* run : runs) {
    total += run->size();
  }
  reserve_more(out, total);
  const std::size_t start = out.size();
  const auto largest =
      std::max_element(runs.begin(), runs.end(),
                       [](const Entries* a, const Entries* b) { return a->size() < b->size(); });
  append_all(**largest, publisher, out);
  if (runs.size() == 1) {
    return;  // one node holds each subscriber at most once: nothing to merge
  }
  const std::size_t mid = out.size();
  for (auto it = runs.begin(); it != runs.end(); ++it) {
    if (it != largest) {
      append_all(**it, publisher, out);
    }
  }
  merge_into_run(out, start, mid);
}

}  // namespace

/// One shared subscription (filter + group name): members take turns [MQTT 4.8.2].
struct SubscriptionTrie::Group {
  std::string name;
  Entries members;
  mutable std::atomic<std::uint64_t> next{0};

  /// The next member in turn, skipping a No Local publisher; null if none is eligible.
  const Entry* pick(const std::optional<SubscriberKey>& publisher) const {
    const std::size_t n = members.size();
    const std::uint64_t start = next.fetch_add(1, std::memory_order_relaxed);
    for (std::size_t i = 0; i < n; ++i) {
      const Entry& entry = members[(start + i) % n];
      if (!skipped(entry, publisher)) {
        return &entry;
      }
    }
    return nullptr;
  }
};

struct SubscriptionTrie::Node {
  Node* parent = nullptr;
  std::string level;  // key in the parent's `children` (or "+", "#")
  std::unordered_map<std::string, std::unique_ptr<Node>, StringHash, std::equal_to<>> children;
  std::unique_ptr<Node> plus;
  std::unique_ptr<Node> hash;
  Entries subscribers;
  std::vector<std::unique_ptr<Group>> groups;

  bool empty() const {
    return children.empty() && !plus && !hash && subscribers.empty() && groups.empty();
  }

  Group* find_group(std::string_view name) const {
    for (const auto& group : groups) {
      if (group->name == name) {
        return group.get();
      }
    }
    return nullptr;
  }

  Node* child(std::string_view name) const {
    if (name == "+") {
      return plus.get();
    }
    if (name == "#") {
      return hash.get();
    }
    const auto it = children.find(name);
    return it == children.end() ? nullptr : it->second.get();
  }

  Node* child_or_create(std::string_view name) {
    std::unique_ptr<Node>* slot = &plus;
    if (name == "#") {
      slot = &hash;
    } else if (name != "+") {
      const auto it = children.find(name);
      slot = it != children.end() ? &it->second : &children[std::string(name)];
    }
    if (!*slot) {
      *slot = std::make_unique<Node>();
      (*slot)->parent = this;
      (*slot)->level = std::string(name);
    }
    return slot->get();
  }

  /// Detaches (and so destroys) the child `node`.
  void remove_child(const Node* node) {
    if (plus.get() == node) {
      plus.reset();
    } else if (hash.get() == node) {
      hash.reset();
    } else {
      children.erase(node->level);
    }
  }

  std::size_t count() const {
    std::size_t total = 1;
    for (const auto& [name, child] : children) {
      total += child->count();
    }
    return total + (plus ? plus->count() : 0) + (hash ? hash->count() : 0);
  }
};

SubscriptionTrie::SubscriptionTrie() : root_(std::make_unique<Node>()) {}
SubscriptionTrie::~SubscriptionTrie() = default;
SubscriptionTrie::SubscriptionTrie(SubscriptionTrie&&) noexcept = default;
SubscriptionTrie& SubscriptionTrie::operator=(SubscriptionTrie&&) noexcept = default;

SubscriptionTrie::Node* SubscriptionTrie::find_or_create(std::string_view filter) {
  Node* node = root_.get();
  for (std::size_t pos = 0; pos != npos;) {
    node = node->child_or_create(next_level(filter, pos, pos));
  }
  return node;
}

SubscriptionTrie::Node* SubscriptionTrie::find(std::string_view filter) {
  Node* node = root_.get();
  for (std::size_t pos = 0; pos != npos && node != nullptr;) {
    node = node->child(next_level(filter, pos, pos));
  }
  return node;
}

bool SubscriptionTrie::subscribe(std::string_view filter, std::string_view share_group,
                                 SubscriberKey who, const SubscriptionOptions& options) {
  Node* node = find_or_create(filter);
  Entries* entries = &node->subscribers;
  if (!share_group.empty()) {
    Group* group = node->find_group(share_group);
    if (group == nullptr) {
      group = node->groups.emplace_back(std::make_unique<Group>()).get();
      group->name = std::string(share_group);
    }
    entries = &group->members;
  }
  if (!upsert(*entries, who, options)) {
    return false;
  }
  ++count_;
  return true;
}

bool SubscriptionTrie::remove_entry(Node& node, std::string_view group_name, SubscriberKey who) {
  if (group_name.empty()) {
    return erase_entry(node.subscribers, who);
  }
  Group* group = node.find_group(group_name);
  if (group == nullptr || !erase_entry(group->members, who)) {
    return false;
  }
  if (group->members.empty()) {
    std::erase_if(node.groups, [group](const auto& held) { return held.get() == group; });
  }
  return true;
}

/// Deletes `node` and its ancestors for as long as they hold nothing.
void SubscriptionTrie::prune(Node* node) {
  while (node != root_.get() && node->empty()) {
    Node* parent = node->parent;
    parent->remove_child(node);
    node = parent;
  }
}

bool SubscriptionTrie::unsubscribe(std::string_view filter, std::string_view share_group,
                                   SubscriberKey who) {
  Node* node = find(filter);
  if (node == nullptr || !remove_entry(*node, share_group, who)) {
    return false;
  }
  --count_;
  prune(node);
  return true;
}

/// Calls `visit(node)` for every node whose filter matches `topic` from level `pos` on.
template <typename Visit>
void SubscriptionTrie::visit_matches(const Node& node, std::string_view topic, std::size_t pos,
                                     bool at_root, Visit& visit) {
  if (pos == npos) {
    visit(node);
    if (node.hash) {
      visit(*node.hash);  // "a/#" also matches "a" [MQTT-4.7.1-2]
    }
    return;
  }
  std::size_t next = npos;
  const std::string_view level = next_level(topic, pos, next);
  // Filters starting with a wildcard do not match topics starting with '$' [MQTT-4.7.2-1].
  const bool wildcards = !(at_root && !level.empty() && level.front() == '$');
  if (wildcards && node.hash) {
    visit(*node.hash);
  }
  if (wildcards && node.plus) {
    visit_matches(*node.plus, topic, next, false, visit);  // '+' matches one level, even ""
  }
  if (!node.children.empty()) {
    const auto it = node.children.find(level);
    if (it != node.children.end()) {
      visit_matches(*it->second, topic, next, false, visit);
    }
  }
}

void SubscriptionTrie::match(std::string_view topic, std::optional<SubscriberKey> publisher,
                             std::vector<Delivery>& out) const {
  // Find the matching nodes first (no allocation: a fixed array), then append the largest
  // run first so merging never sorts the big fan-out list.
  std::array<const Entries*, kMaxRuns> runs{};
  std::size_t count = 0;
  bool shared = false;
  auto find_runs = [&](const Node& node) {
    if (!node.subscribers.empty()) {
      if (count < kMaxRuns) {
        runs[count] = &node.subscribers;
      }
      ++count;
    }
    shared = shared || !node.groups.empty();
  };
  visit_matches(*root_, topic, 0, true, find_runs);
  if (count > kMaxRuns) {
    match_many(topic, publisher, out);
  } else if (count > 0) {
    append_runs(std::span(runs.data(), count), publisher, out);
  }
  if (shared) {
    match_shared(topic, publisher, out);
  }
}

/// Rare case of more than kMaxRuns matching nodes: append all, then sort and merge.
void SubscriptionTrie::match_many(std::string_view topic, std::optional<SubscriberKey> publisher,
                                  std::vector<Delivery>& out) const {
  const std::size_t start = out.size();
  auto collect = [&](const Node& node) {
    reserve_more(out, node.subscribers.size());
    append_all(node.subscribers, publisher, out);
  };
  visit_matches(*root_, topic, 0, true, collect);
  merge_deliveries(out, start);
}

void SubscriptionTrie::match_shared(std::string_view topic, std::optional<SubscriberKey> publisher,
                                    std::vector<Delivery>& out) const {
  auto pick = [&](const Node& node) {
    for (const auto& group : node.groups) {
      if (const Entry* entry = group->pick(publisher)) {
        append_delivery(*entry, out);
      }
    }
  };
  visit_matches(*root_, topic, 0, true, pick);
}

std::size_t SubscriptionTrie::node_count() const {
  return root_->count();
}

}  // namespace ferry::broker
