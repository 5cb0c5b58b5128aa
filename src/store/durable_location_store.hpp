#pragma once
// The default location store wired up: a MemoryLocationStore loaded from `<data_dir>/osprey.db`
// (expired bindings dropped) with a SqliteJournal attached, so every change is durable before
// `durable` fires and survives a restart.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <tl/expected.hpp>

#include "store/memory_location_store.hpp"
#include "store/sqlite_bindings_table.hpp"

namespace osprey::store {

// `now`: seconds since the epoch. Errors name the directory or file.
tl::expected<std::unique_ptr<MemoryLocationStore>, std::string> open_durable_location_store(
    const std::filesystem::path& data_dir, std::int64_t now, SqliteSync sync = SqliteSync::full);

}  // namespace osprey::store
