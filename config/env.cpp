// FERRY_<SECTION>_<KEY> overrides for the scalar sections (server, limits, storage, auth).
// Values are parsed by the key's type and checked like the file's; other FERRY_* names
// (FERRY_CONFIG, ...) are not ours and are ignored.

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "config/config.hpp"
#include "config/fields.hpp"

extern char** environ;  // NOLINT: POSIX

namespace ferry::config {
namespace detail {
namespace {

constexpr std::string_view kPrefix = "FERRY_";

std::string to_upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Value parse_value(Kind kind, const std::string& text) {
  switch (kind) {
    case Kind::integer: {
      std::int64_t number = 0;
      const char* end = text.data() + text.size();
      const auto [ptr, error] = std::from_chars(text.data(), end, number);
      if (error == std::errc::result_out_of_range) {
        throw FieldError("is out of range");
      }
      if (text.empty() || error != std::errc() || ptr != end) {
        throw FieldError("must be an integer");
      }
      return number;
    }
    case Kind::boolean: {
      const std::string lower = to_lower(text);
      if (lower == "true" || lower == "false") {
        return lower == "true";
      }
      throw FieldError("must be true or false");
    }
    case Kind::string:
      return text;
  }
  return OtherValue{};
}

std::string variable_name(const ScalarSection& section, std::string_view key) {
  return fmt::format("{}{}_{}", kPrefix, to_upper(section.name), to_upper(key));
}

[[noreturn]] void fail(std::string_view variable, std::string_view problem) {
  throw ConfigError(fmt::format("environment: {}: {}", variable, problem));
}

void apply_variable(Config& config, const ScalarSection& section, const std::string& variable,
                    std::string_view key, const std::string& text) {
  const auto* field = find_field(*section.fields, to_lower(key));
  if (field == nullptr) {
    std::vector<std::string> names;
    for (const auto& candidate : *section.fields) {
      names.push_back(variable_name(section, candidate.name));
    }
    const std::vector<std::string_view> views(names.begin(), names.end());
    fail(variable, unknown_problem("variable", variable, views));
  }
  try {
    field->apply(config, parse_value(field->kind, text));
  } catch (const FieldError& error) {
    fail(variable, error.what());
  }
}

}  // namespace

void apply_environment(Config& config, const std::map<std::string, std::string>& env) {
  for (const auto& [variable, text] : env) {
    for (const auto& section : scalar_sections()) {
      const std::string prefix = fmt::format("{}{}_", kPrefix, to_upper(section.name));
      if (variable.starts_with(prefix)) {
        apply_variable(config, section, variable, std::string_view(variable).substr(prefix.size()),
                       text);
        break;
      }
    }
  }
}

}  // namespace detail

std::map<std::string, std::string> environment_overrides() {
  std::map<std::string, std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos || !text.starts_with(detail::kPrefix)) {
      continue;
    }
    out.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return out;
}

}  // namespace ferry::config
