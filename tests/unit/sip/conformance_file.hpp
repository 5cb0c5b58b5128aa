#pragma once
// Reads a torture-test message from tests/conformance/ (RFC 4475, RFC 5118) byte-exact, for the
// typed-header tests that use them as extra inputs.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace osprey::sip::test_files {

inline std::string read_conformance_file(std::string_view relative) {
  std::filesystem::path path =
      std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "conformance" / std::string(relative);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Replaces the first occurrence of `from` in `text` by `to` (to take one defect out of a message
// that has several, so the defect under test is the only one left).
inline std::string replace_once(std::string text, std::string_view from, std::string_view to) {
  std::size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

}  // namespace osprey::sip::test_files
