#pragma once
// Typed, validated reads from one TOML table, for the config loader. Every read records the key
// as known, so that afterwards fail_unknown_keys() can name any key nobody asked for: a typo
// like `max_expire` must stop the server, not silently leave the default in place.
//
// The first error wins and is kept in ReadState; reads after it still run but change nothing
// the caller relies on, so the loader reads straight through and checks once at the end.

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "app/config_error.hpp"

namespace osprey::app {

struct ReadState {
  std::string file;
  std::optional<ConfigError> first_error;
  // The folder relative paths in the file are resolved against (the config file's own);
  // empty: they are kept as written.
  std::filesystem::path base_dir;
  // Whether files the file names (TLS certificate, key, CA) must exist now.
  bool check_files = true;

  // `path` as the server will open it: absolute paths as written, relative ones under base_dir.
  std::string resolve(const std::string& path) const;

  void fail(std::uint32_t line, std::string key, std::string message);
};

class Section {
 public:
  // `path` is the section's dotted name: "" for the root, "registrar", "listen[0]".
  Section(ReadState& state, const toml::table& table, std::string path);

  // Each read returns true if the key is present and valid, and only then writes `out`; an absent
  // key leaves `out` (the default) alone and returns false, a bad one records the error.
  template <std::integral Int>
  bool integer(std::string_view key, Int min, Int max, Int& out) {
    std::int64_t value = 0;
    if (!integer_in_range(key, static_cast<std::int64_t>(min), static_cast<std::int64_t>(max), value)) {
      return false;
    }
    out = static_cast<Int>(value);
    return true;
  }
  bool boolean(std::string_view key, bool& out);                           // true or false, unquoted
  bool string(std::string_view key, std::string& out);                     // non-empty
  bool string_or_empty(std::string_view key, std::string& out);            // "" allowed
  bool string_array(std::string_view key, std::vector<std::string>& out);  // non-empty elements

  // A string that must be one of `names`; the error lists them.
  template <typename Enum>
  bool choice(std::string_view key, std::initializer_list<std::pair<std::string_view, Enum>> names,
              Enum& out) {
    std::string text;
    std::string allowed;
    for (const auto& [name, value] : names) allowed += (allowed.empty() ? "" : ", ") + std::string(name);
    if (!string_matching(key, "must be one of " + allowed, text)) return false;
    for (const auto& [name, value] : names) {
      if (name == text) {
        out = value;
        return true;
      }
    }
    fail(key, "must be one of " + allowed + ", not '" + text + "'");
    return false;
  }

  // A sub-table ([registrar]) or an array of tables ([[listen]]); nullptr if absent or wrong.
  const toml::table* table(std::string_view key);
  const toml::array* table_array(std::string_view key);

  bool has(std::string_view key) const { return table_.contains(key); }
  // Records an error on `key`: at its line if present, else at the section's line.
  void fail(std::string_view key, std::string message);
  // Records an error for the first key (in file order) that no read asked for.
  void fail_unknown_keys();

  std::string qualified(std::string_view key) const;

 private:
  bool integer_in_range(std::string_view key, std::int64_t min, std::int64_t max, std::int64_t& out);
  // Reads a string; `type_message` is the error when the value is not a string.
  bool string_matching(std::string_view key, const std::string& type_message, std::string& out);
  std::uint32_t line_of(std::string_view key) const;
  void mark_known(std::string_view key) { known_.emplace_back(key); }

  ReadState& state_;
  const toml::table& table_;
  std::string path_;
  std::vector<std::string> known_;
};

}  // namespace osprey::app
