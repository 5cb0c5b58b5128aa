#include "app/config_reader.hpp"

#include <algorithm>
#include <limits>

namespace osprey::app {
namespace {

std::uint32_t line_of(const toml::node& node) { return node.source().begin.line; }

// Levenshtein distance, to suggest the key an unknown one was probably meant to be.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

void ReadState::fail(std::uint32_t line, std::string key, std::string message) {
  if (first_error) return;
  first_error = ConfigError{file, line, std::move(key), std::move(message)};
}

std::string ReadState::resolve(const std::string& path) const {
  const std::filesystem::path written(path);
  if (base_dir.empty() || written.is_absolute()) return path;
  return (base_dir / written).lexically_normal().string();
}

Section::Section(ReadState& state, const toml::table& table, std::string path)
    : state_(state), table_(table), path_(std::move(path)) {}

std::string Section::qualified(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::uint32_t Section::line_of(std::string_view key) const {
  if (const toml::node* node = table_.get(key)) return app::line_of(*node);
  // A key missing from the root has no place in the file; one missing from a [section] is
  // reported at the section's header, which is where it would go.
  return path_.empty() ? 0 : app::line_of(table_);
}

void Section::fail(std::string_view key, std::string message) {
  state_.fail(line_of(key), qualified(key), std::move(message));
}

bool Section::integer_in_range(std::string_view key, std::int64_t min, std::int64_t max, std::int64_t& out) {
  mark_known(key);
  const toml::node* node = table_.get(key);
  if (node == nullptr) return false;
  // Integers only: a float like 60.0 or a quoted "60" is a mistake worth pointing out.
  const auto* value = node->as_integer();
  if (value == nullptr || value->get() < min || value->get() > max) {
    fail(key, "must be an integer between " + std::to_string(min) + " and " + std::to_string(max));
    return false;
  }
  out = value->get();
  return true;
}

bool Section::string_matching(std::string_view key, const std::string& type_message, std::string& out) {
  mark_known(key);
  const toml::node* node = table_.get(key);
  if (node == nullptr) return false;
  const auto* value = node->as_string();
  if (value == nullptr) {
    fail(key, type_message);
    return false;
  }
  out = value->get();
  return true;
}

bool Section::boolean(std::string_view key, bool& out) {
  mark_known(key);
  const toml::node* node = table_.get(key);
  if (node == nullptr) return false;
  const auto* value = node->as_boolean();
  if (value == nullptr) {
    fail(key, "must be true or false");
    return false;
  }
  out = value->get();
  return true;
}

bool Section::string(std::string_view key, std::string& out) {
  std::string text;
  if (!string_matching(key, "must be a string", text)) return false;
  if (text.empty()) {
    fail(key, "must not be empty");
    return false;
  }
  out = std::move(text);
  return true;
}

bool Section::string_or_empty(std::string_view key, std::string& out) {
  return string_matching(key, "must be a string", out);
}

bool Section::string_array(std::string_view key, std::vector<std::string>& out) {
  mark_known(key);
  const toml::node* node = table_.get(key);
  if (node == nullptr) return false;
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    fail(key, "must be an array of strings");
    return false;
  }
  std::vector<std::string> values;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const auto* value = element.as_string();
    if (value == nullptr || value->get().empty()) {
      state_.fail(app::line_of(element), qualified(key) + "[" + std::to_string(i) + "]",
                  value == nullptr ? "must be a string" : "must not be empty");
      return false;
    }
    values.push_back(value->get());
  }
  out = std::move(values);
  return true;
}

const toml::table* Section::table(std::string_view key) {
  mark_known(key);
  const toml::node* node = table_.get(key);
  if (node == nullptr) return nullptr;
  if (!node->is_table()) {
    fail(key, "must be a table: write [" + qualified(key) + "]");
    return nullptr;
  }
  return node->as_table();
}

const toml::array* Section::table_array(std::string_view key) {
  mark_known(key);
  const toml::node* node = table_.get(key);
  if (node == nullptr) return nullptr;
  // An empty array `listen = []` counts as an array of tables with no entries; the caller decides.
  const toml::array* array = node->as_array();
  if (array == nullptr || (!array->empty() && !array->is_array_of_tables())) {
    fail(key, "must be an array of tables: write [[" + qualified(key) + "]]");
    return nullptr;
  }
  return array;
}

void Section::fail_unknown_keys() {
  // The table iterates in key order; report the unknown key that comes first in the file.
  const toml::key* first = nullptr;
  for (const auto& [key, node] : table_) {
    if (std::find(known_.begin(), known_.end(), key.str()) != known_.end()) continue;
    if (first == nullptr || key.source().begin.line < first->source().begin.line) first = &key;
  }
  if (first == nullptr) return;

  std::string message = "unknown key";
  std::size_t best = std::numeric_limits<std::size_t>::max();
  for (const std::string& known : known_) {
    const std::size_t distance = edit_distance(first->str(), known);
    // Two edits cover the usual typos (a missing, doubled or swapped letter).
    if (distance <= 2 && distance < best) {
      best = distance;
      message = "unknown key (did you mean '" + known + "'?)";
    }
  }
  state_.fail(first->source().begin.line, qualified(first->str()), message);
}

}  // namespace osprey::app
