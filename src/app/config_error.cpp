#include "app/config_error.hpp"

namespace osprey::app {

std::string to_string(const ConfigError& error) {
  std::string text = error.file;
  if (error.line != 0) text += ":" + std::to_string(error.line);
  text += ": ";
  if (!error.key.empty()) text += "key '" + error.key + "': ";
  text += error.message;
  return text;
}

}  // namespace osprey::app
