#pragma once
// Why a configuration file was rejected. Config errors are values (DESIGN.md), and each one
// renders as a single line an operator can act on without reading the source:
//   osprey.toml:12: key 'registrar.max_expires': must be an integer between 60 and 86400

#include <cstdint>
#include <string>

namespace osprey::app {

struct ConfigError {
  std::string file;        // as the user named it, so the message matches what they typed
  std::uint32_t line = 0;  // 1-based; 0 when the problem has no place in the file (a missing key)
  std::string key;         // dotted path ("registrar.max_expires", "listen[1].port"); empty if none
  std::string message;
};

// "file:line: key 'k': message", leaving out the line and the key when they are unknown.
std::string to_string(const ConfigError& error);

}  // namespace osprey::app
