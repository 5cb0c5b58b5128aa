#pragma once
// Regular expressions for header rules. RE2 matches in time linear in the input whatever the
// pattern, so a rule's pattern cannot be turned against osprey by a hostile header value (no
// backtracking blow-up); the limits below bound what a pattern may cost to compile and what a
// replacement may produce.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>
#include <tl/expected.hpp>

namespace osprey::sbc {

inline constexpr std::size_t kMaxPatternLength = 1024;
inline constexpr std::size_t kMaxCaptureGroups = 9;  // $1..$9

// Compiles `pattern` once, at load time; an error says why in words a config error can carry.
tl::expected<std::shared_ptr<const re2::RE2>, std::string> compile_regex(std::string_view pattern);

// Searches `text` for `regex` (anywhere, like grep: anchor with ^ and $). On a match, appends the
// capture groups (1..n; a group that took no part is empty) to `groups` and returns true.
bool search(const re2::RE2& regex, std::string_view text, std::vector<std::string_view>& groups);

// `rewrite` with $1..$9 replaced by `groups` (a group beyond them is empty) and $$ by '$'.
// An error when the result outgrows `max_size`.
tl::expected<std::string, std::string> expand(std::string_view rewrite,
                                              const std::vector<std::string_view>& groups,
                                              std::size_t max_size);

// Every non-overlapping match of `regex` in `text` replaced by `rewrite` (whose $N are the match's
// groups), like sed's s///g. An error when the result outgrows `max_size`, checked as it grows.
tl::expected<std::string, std::string> replace_all(const re2::RE2& regex, std::string_view text,
                                                   std::string_view rewrite, std::size_t max_size);

// Checks a rewrite template: only $1..$9 and $$ after a '$', and no group beyond `groups`
// (when known, else pass kMaxCaptureGroups). Empty string: fine; else the reason.
std::string check_rewrite(std::string_view rewrite, std::size_t groups);

}  // namespace osprey::sbc
