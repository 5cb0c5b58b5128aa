#pragma once
// The server's logger. It is created here and passed to whoever logs (DESIGN.md: no globals),
// so it is never registered in spdlog's process-wide registry.

#include <memory>
#include <ostream>

#include <spdlog/logger.h>

#include "app/config.hpp"

namespace osprey::app {

// A logger writing one line per record to `stream`, flushed at once so that a log line is
// visible before the process can die.
std::shared_ptr<spdlog::logger> make_logger(LogLevel level, std::ostream& stream);

}  // namespace osprey::app
