#pragma once

// Internal to ferry_config: one description per configuration key, shared by the TOML
// loader and the environment overrides so both check types and ranges the same way.

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.hpp"

namespace ferry::config::detail {

// A value of a TOML type a key cannot hold (float, date, array, table...).
struct OtherValue {};

using Value = std::variant<std::int64_t, bool, std::string, OtherValue>;

enum class Kind { integer, boolean, string };

// Thrown by Field::apply with just the problem; the caller adds "file:line: key: ".
class FieldError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class Target>
struct Field {
  std::string_view name;
  Kind kind;
  // Called with a value already checked to be of `kind`; throws FieldError.
  std::function<void(Target&, const Value&)> apply;
};

// A [section] of plain keys that FERRY_<SECTION>_<KEY> can also set.
struct ScalarSection {
  std::string_view name;
  const std::vector<Field<Config>>* fields;
};

const std::vector<ScalarSection>& scalar_sections();
const std::vector<Field<ListenerConfig>>& listener_fields();
const std::vector<Field<PredefinedTopic>>& predefined_fields();
/// The scalar section called `name` (it must exist).
const ScalarSection& scalar_section(std::string_view name);

// Throws FieldError("must be an integer" / "must be true or false" / "must be a string")
// unless value holds the type of kind.
void check_kind(Kind kind, const Value& value);

// Closest candidate within Levenshtein distance 2, if any.
std::optional<std::string_view> did_you_mean(std::string_view word,
                                             const std::vector<std::string_view>& candidates);

// "unknown key" or "unknown key (did you mean 'x'?)"; `what` is "key", "section"...
std::string unknown_problem(std::string_view what, std::string_view word,
                            const std::vector<std::string_view>& candidates);

template <class Target>
const Field<Target>* find_field(const std::vector<Field<Target>>& fields, std::string_view name) {
  for (const auto& field : fields) {
    if (field.name == name) {
      return &field;
    }
  }
  return nullptr;
}

template <class Target>
std::vector<std::string_view> field_names(const std::vector<Field<Target>>& fields) {
  std::vector<std::string_view> names;
  names.reserve(fields.size());
  for (const auto& field : fields) {
    names.push_back(field.name);
  }
  return names;
}

// Line numbers of the listener keys, kept by the loader for validation messages.
struct ListenerOrigin {
  int table_line = 1;
  int bind_line = 0;       // 0 = key absent
  int unix_mode_line = 0;  // 0 = key absent
};

// Checks what single keys cannot: listener binds, duplicates, at least one listener.
// Throws ConfigError naming the listener key and its line.
void validate_listeners(const Config& config, const std::vector<ListenerOrigin>& origins);

// Applies the FERRY_<SECTION>_<KEY> entries of env to config; throws ConfigError.
void apply_environment(Config& config, const std::map<std::string, std::string>& env);

}  // namespace ferry::config::detail
