#include "sbc/header_rule_regex.hpp"

#include <array>

namespace osprey::sbc {

namespace {
// What one compiled pattern may take (RE2's default is 8 MiB): enough for any header pattern a
// person writes, while a pattern like (a{1000}){1000} fails to compile instead of growing.
constexpr std::int64_t kMaxRegexMemory = 1 << 20;
}  // namespace

tl::expected<std::shared_ptr<const re2::RE2>, std::string> compile_regex(std::string_view pattern) {
  if (pattern.empty()) return tl::unexpected(std::string("the regular expression is empty"));
  if (pattern.size() > kMaxPatternLength) {
    return tl::unexpected("the regular expression is longer than " + std::to_string(kMaxPatternLength) +
                          " characters");
  }
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(kMaxRegexMemory);
  auto regex = std::make_shared<const re2::RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!regex->ok()) return tl::unexpected("bad regular expression: " + regex->error());
  if (regex->NumberOfCapturingGroups() > static_cast<int>(kMaxCaptureGroups)) {
    return tl::unexpected("the regular expression has more than " + std::to_string(kMaxCaptureGroups) +
                          " capture groups (use (?:...) for grouping only)");
  }
  return regex;
}

bool search(const re2::RE2& regex, std::string_view text, std::vector<std::string_view>& groups) {
  std::array<re2::StringPiece, kMaxCaptureGroups + 1> pieces;
  const int count = regex.NumberOfCapturingGroups() + 1;
  if (!regex.Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), re2::RE2::UNANCHORED,
                   pieces.data(), count)) {
    return false;
  }
  for (int i = 1; i < count; ++i) groups.emplace_back(pieces[i].data(), pieces[i].size());
  return true;
}

namespace {

// Appends `rewrite` expanded with `groups` (index 0 = $1) to `out`; false when `out` would
// outgrow `max_size`.
bool append_expanded(std::string& out, std::string_view rewrite, const std::string_view* groups,
                     std::size_t group_count, std::size_t max_size) {
  for (std::size_t i = 0; i < rewrite.size(); ++i) {
    const char c = rewrite[i];
    if (c == '$' && i + 1 < rewrite.size()) {
      const char next = rewrite[i + 1];
      if (next >= '1' && next <= '9') {
        const auto index = static_cast<std::size_t>(next - '1');
        if (index < group_count) {
          if (out.size() + groups[index].size() > max_size) return false;
          out.append(groups[index]);
        }
        ++i;
        continue;
      }
      if (next == '$') ++i;
    }
    if (out.size() + 1 > max_size) return false;
    out.push_back(c);
  }
  return true;
}

std::string too_large(std::size_t max_size) {
  return "the result is larger than " + std::to_string(max_size) + " bytes";
}

}  // namespace

tl::expected<std::string, std::string> expand(std::string_view rewrite,
                                              const std::vector<std::string_view>& groups,
                                              std::size_t max_size) {
  std::string out;
  if (!append_expanded(out, rewrite, groups.data(), groups.size(), max_size)) {
    return tl::unexpected(too_large(max_size));
  }
  return out;
}

tl::expected<std::string, std::string> replace_all(const re2::RE2& regex, std::string_view text,
                                                   std::string_view rewrite, std::size_t max_size) {
  std::array<re2::StringPiece, kMaxCaptureGroups + 1> pieces;
  std::array<std::string_view, kMaxCaptureGroups> groups;
  const int count = regex.NumberOfCapturingGroups() + 1;
  const re2::StringPiece whole(text.data(), text.size());
  std::string out;
  std::size_t position = 0;                     // where the next search starts
  std::size_t copied = 0;                       // text before this is in `out`
  std::size_t after_match = std::string::npos;  // one past the last non-empty match
  while (position <= text.size()) {
    if (!regex.Match(whole, position, text.size(), re2::RE2::UNANCHORED, pieces.data(), count)) break;
    const auto match_begin = static_cast<std::size_t>(pieces[0].data() - text.data());
    const std::size_t match_end = match_begin + pieces[0].size();
    if (match_end == match_begin && match_begin == after_match && match_begin > 0) {
      // An empty match right after a match is not another match (sed: "baaac" s/a*/-/g is
      // "-b-c-"): step over one byte and search again.
      position = match_begin + 1;
      continue;
    }
    if (out.size() + (match_begin - copied) > max_size) return tl::unexpected(too_large(max_size));
    out.append(text.substr(copied, match_begin - copied));
    for (int i = 1; i < count; ++i) groups[i - 1] = std::string_view(pieces[i].data(), pieces[i].size());
    if (!append_expanded(out, rewrite, groups.data(), static_cast<std::size_t>(count - 1), max_size)) {
      return tl::unexpected(too_large(max_size));
    }
    copied = match_end;
    // An empty match replaces once at this position, then the search moves one byte on, as
    // sed and RE2::GlobalReplace do, so `x*` cannot loop forever.
    if (match_end == match_begin) {
      if (match_end < text.size()) {
        if (out.size() + 1 > max_size) return tl::unexpected(too_large(max_size));
        out.push_back(text[match_end]);
      }
      copied = match_end + 1;
      position = match_end + 1;
    } else {
      position = match_end;
      after_match = match_end;
    }
  }
  if (copied < text.size()) {
    if (out.size() + (text.size() - copied) > max_size) return tl::unexpected(too_large(max_size));
    out.append(text.substr(copied));
  }
  return out;
}

std::string check_rewrite(std::string_view rewrite, std::size_t groups) {
  for (std::size_t i = 0; i < rewrite.size(); ++i) {
    if (rewrite[i] != '$') continue;
    if (i + 1 >= rewrite.size()) return "a '$' at the end: write $$ for a dollar sign";
    const char next = rewrite[i + 1];
    if (next == '$') {
      ++i;
      continue;
    }
    if (next < '1' || next > '9') return "'$' must be followed by a digit 1-9 (a capture group) or '$'";
    if (static_cast<std::size_t>(next - '0') > groups) {
      return std::string("$") + next + " names a capture group the regular expressions do not have";
    }
    ++i;
  }
  return {};
}

}  // namespace osprey::sbc
