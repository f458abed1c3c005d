// Topic names, topic filters and MQTT's UTF-8 string rules [MQTT 1.5.4, 4.7].
#pragma once

#include <optional>
#include <string_view>

namespace ferry::mqtt {

/// Well-formed UTF-8 with no U+0000 and no surrogate code points [MQTT-1.5.4-1, -2];
/// at most 65535 bytes.
bool valid_utf8(std::string_view text);

/// A PUBLISH topic name: non-empty, valid UTF-8, no '+' or '#' [MQTT-3.3.2-2, 4.7.1].
bool valid_topic_name(std::string_view topic);

/// A SUBSCRIBE/UNSUBSCRIBE filter: non-empty, valid UTF-8, '#' only as the whole last
/// level, '+' only as a whole level [MQTT-4.7.1-1, -2]. Includes "$share/g/f" forms,
/// which must also pass `parse_shared`.
bool valid_topic_filter(std::string_view filter);

/// "$share/{group}/{filter}" [MQTT 4.8.2]: group non-empty without '/', '+', '#';
/// filter a valid non-shared filter. nullopt when `filter` is not a shared filter or
/// is an invalid one (check `is_shared_prefix` to tell those apart).
struct SharedFilter {
  std::string_view group;
  std::string_view filter;
};
std::optional<SharedFilter> parse_shared(std::string_view filter);
bool is_shared_prefix(std::string_view filter);  // starts with "$share/"

/// Whether `topic` (a valid name) matches `filter` (a valid non-shared filter).
/// Filters starting with a wildcard do not match names starting with '$' [MQTT-4.7.2-1].
bool topic_matches(std::string_view filter, std::string_view topic);

}  // namespace ferry::mqtt
