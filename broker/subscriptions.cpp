#include "broker/subscriptions.hpp"

#include <algorithm>

#include "protocol/mqtt/topic.hpp"

namespace ferry::broker {
namespace {

/// The first subscription whose written filter is not less than `filter`.
template <class Items>
auto position_of(Items& items, std::string_view filter) {
  return std::lower_bound(
      items.begin(), items.end(), filter,
      [](const Subscription& item, std::string_view key) { return item.filter < key; });
}

}  // namespace

FilterParts split_filter(std::string_view written) {
  if (const auto shared = mqtt::parse_shared(written)) {
    return {shared->filter, shared->group};
  }
  return {written, {}};
}

const Subscription* Subscriptions::find(std::string_view filter) const {
  const auto it = position_of(items_, filter);
  return it != items_.end() && it->filter == filter ? &*it : nullptr;
}

bool Subscriptions::put(std::string_view filter, const SubscriptionOptions& options) {
  const auto it = position_of(items_, filter);
  if (it != items_.end() && it->filter == filter) {
    it->options = options;
    return true;
  }
  items_.insert(it, Subscription{std::string(filter), options});
  return false;
}

bool Subscriptions::erase(std::string_view filter) {
  const auto it = position_of(items_, filter);
  if (it == items_.end() || it->filter != filter) {
    return false;
  }
  items_.erase(it);
  return true;
}

}  // namespace ferry::broker
