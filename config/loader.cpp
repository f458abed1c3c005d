// TOML -> Config: walks the parsed document in file order, so the first mistake in the
// file is the one reported, and checks every key against the table in fields.cpp.

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/config.hpp"
#include "config/fields.hpp"

namespace ferry::config {
namespace {

using detail::Field;
using detail::FieldError;
using detail::ListenerOrigin;
using detail::ScalarSection;
using detail::Value;

constexpr std::string_view kListener = "listener";
constexpr std::string_view kMqttSn = "mqttsn";
constexpr std::string_view kPredefined = "predefined";

int line_of(const toml::node& node) {
  return static_cast<int>(node.source().begin.line);
}

detail::Value to_value(const toml::node& node) {
  if (const auto* v = node.as_integer()) {
    return v->get();
  }
  if (const auto* v = node.as_boolean()) {
    return v->get();
  }
  if (const auto* v = node.as_string()) {
    return v->get();
  }
  return detail::OtherValue{};
}

using Entry = std::pair<std::string_view, const toml::node*>;

// toml::table iterates in key order; messages should follow the file.
std::vector<Entry> in_file_order(const toml::table& table) {
  std::vector<Entry> entries;
  for (const auto& [key, node] : table) {
    entries.emplace_back(key.str(), &node);
  }
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    const auto& sa = a.second->source().begin;
    const auto& sb = b.second->source().begin;
    return std::pair(sa.line, sa.column) < std::pair(sb.line, sb.column);
  });
  return entries;
}

std::vector<std::string_view> section_names() {
  std::vector<std::string_view> names{kListener};
  for (const auto& section : detail::scalar_sections()) {
    names.push_back(section.name);
  }
  return names;
}

class Loader {
 public:
  explicit Loader(std::string_view source) : source_(source) {}

  Config load(const toml::table& root) {
    Config config;
    for (const auto& [name, node] : in_file_order(root)) {
      load_section(name, *node, config);
    }
    return config;
  }

  const std::vector<ListenerOrigin>& origins() const { return origins_; }

 private:
  [[noreturn]] void fail(int line, std::string_view key, std::string_view problem) const {
    throw ConfigError(fmt::format("{}:{}: {}: {}", source_, line, key, problem));
  }

  void load_section(std::string_view name, const toml::node& node, Config& config) {
    if (name == kListener) {
      load_listeners(node, config);
      return;
    }
    if (name == kMqttSn && node.is_table()) {
      load_mqttsn(*node.as_table(), config);
      return;
    }
    for (const auto& section : detail::scalar_sections()) {
      if (section.name == name) {
        const auto* table = node.as_table();
        if (table == nullptr) {
          fail(line_of(node), name, fmt::format("must be a table ([{}])", name));
        }
        apply_table(*table, *section.fields, name, config);
        return;
      }
    }
    fail(line_of(node), name, detail::unknown_problem("section", name, section_names()));
  }

  template <class Target>
  void apply_table(const toml::table& table, const std::vector<Field<Target>>& fields,
                   std::string_view prefix, Target& target) const {
    for (const auto& [name, node] : in_file_order(table)) {
      apply_key(name, *node, fields, prefix, target);
    }
  }

  template <class Target>
  void apply_key(std::string_view name, const toml::node& node,
                 const std::vector<Field<Target>>& fields, std::string_view prefix,
                 Target& target) const {
    const std::string key = fmt::format("{}.{}", prefix, name);
    const auto* field = detail::find_field(fields, name);
    if (field == nullptr) {
      auto names = detail::field_names(fields);
      if (prefix == kMqttSn) {
        names.push_back(kPredefined);
      }
      fail(line_of(node), key, detail::unknown_problem("key", name, names));
    }
    try {
      const Value value = to_value(node);
      detail::check_kind(field->kind, value);
      field->apply(target, value);
    } catch (const FieldError& error) {
      fail(line_of(node), key, error.what());
    }
  }

  /// [mqttsn] scalars and its [[mqttsn.predefined]] topic ids.
  void load_mqttsn(const toml::table& table, Config& config) {
    const auto& fields = *detail::scalar_section(kMqttSn).fields;
    for (const auto& [name, node] : in_file_order(table)) {
      if (name != kPredefined) {
        apply_key(name, *node, fields, kMqttSn, config);
        continue;
      }
      const auto* array = node->as_array();
      if (array == nullptr || !array->is_array_of_tables()) {
        fail(line_of(*node), "mqttsn.predefined",
             "must be an array of tables (write [[mqttsn.predefined]])");
      }
      for (const auto& element : *array) {
        load_predefined(*element.as_table(), config);
      }
    }
  }

  void load_predefined(const toml::table& table, Config& config) {
    const std::string prefix =
        fmt::format("mqttsn.predefined[{}]", config.mqttsn.predefined.size());
    PredefinedTopic topic;
    apply_table(table, detail::predefined_fields(), prefix, topic);
    if (topic.id == 0 || topic.topic.empty()) {
      fail(line_of(table), prefix, "needs both id and topic");
    }
    for (const auto& other : config.mqttsn.predefined) {
      if (other.id == topic.id && other.client == topic.client) {
        fail(line_of(table), prefix + ".id", fmt::format("id {} is defined twice", topic.id));
      }
    }
    config.mqttsn.predefined.push_back(std::move(topic));
  }

  void load_listeners(const toml::node& node, Config& config) {
    const auto* array = node.as_array();
    if (array == nullptr || !array->is_array_of_tables()) {
      fail(line_of(node), kListener, "must be an array of tables (write [[listener]])");
    }
    for (const auto& element : *array) {
      const auto& table = *element.as_table();
      const std::string prefix = fmt::format("{}[{}]", kListener, config.listeners.size());
      ListenerConfig listener;
      apply_table(table, detail::listener_fields(), prefix, listener);
      config.listeners.push_back(std::move(listener));
      origins_.push_back(origin_of(table));
    }
  }

  static ListenerOrigin origin_of(const toml::table& table) {
    ListenerOrigin origin;
    origin.table_line = line_of(table);
    if (const auto* bind = table.get("bind")) {
      origin.bind_line = line_of(*bind);
    }
    if (const auto* mode = table.get("unix_mode")) {
      origin.unix_mode_line = line_of(*mode);
    }
    return origin;
  }

  std::string source_;
  std::vector<ListenerOrigin> origins_;
};

}  // namespace

Config load_config_string(std::string_view toml_text, std::string_view source_name,
                          const std::map<std::string, std::string>& env) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& error) {
    throw ConfigError(fmt::format("{}:{}: syntax error: {}", source_name, error.source().begin.line,
                                  error.description()));
  }
  Loader loader(source_name);
  Config config = loader.load(root);
  config.source = std::string(source_name);
  detail::apply_environment(config, env);
  detail::validate_listeners(config, loader.origins());
  return config;
}

Config load_config(const std::filesystem::path& file,
                   const std::map<std::string, std::string>& env) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw ConfigError(fmt::format("{}: cannot open: {}", file.string(), std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw ConfigError(fmt::format("{}: cannot read: {}", file.string(), std::strerror(errno)));
  }
  return load_config_string(text.str(), file.string(), env);
}

}  // namespace ferry::config
