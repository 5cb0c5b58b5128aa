#pragma once
// Turns the validated TOML config into what the server core runs on.

#include "app/config.hpp"
#include "server/server_settings.hpp"

namespace osprey::app {

server::ServerSettings server_settings_from(const Config& config);

}  // namespace osprey::app
