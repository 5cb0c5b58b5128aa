#pragma once
// Reading a password for `osprey user add|passwd` when --password is not given: one line from
// standard input, so scripts can pipe it in, and typed without echo when that is a terminal, so
// it does not stay on screen or in a terminal log.

#include <istream>
#include <ostream>
#include <string>

#include <tl/expected.hpp>

namespace osprey::app {

// Reads one line from `in` (a trailing "\r" dropped). When `in` is std::cin on a terminal,
// writes `prompt` to `prompt_to` and turns echo off while the line is typed. Errors: no line
// (end of input), an empty line.
tl::expected<std::string, std::string> read_password(std::istream& in, std::ostream& prompt_to,
                                                     const std::string& prompt);

}  // namespace osprey::app
