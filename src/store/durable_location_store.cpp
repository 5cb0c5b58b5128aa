#include "store/durable_location_store.hpp"

#include <string_view>
#include <utility>
#include <vector>

#include "store/sqlite_journal.hpp"

namespace osprey::store {

tl::expected<std::unique_ptr<MemoryLocationStore>, std::string> open_durable_location_store(
    const std::filesystem::path& data_dir, std::int64_t now, SqliteSync sync) {
  auto journal = SqliteJournal::open(data_dir, sync);
  if (!journal) return tl::unexpected(journal.error());
  SqliteJournal& file = **journal;
  auto store = std::make_unique<MemoryLocationStore>(std::move(*journal));
  // AOR by AOR, so start-up never holds all bindings twice (issue: 1,000,000 bindings in 600 MB).
  auto loaded = file.load(
      now, [&](std::string_view aor, std::vector<Binding>&& bindings) { store->restore(aor, bindings); });
  if (!loaded) return tl::unexpected(loaded.error());
  return store;
}

}  // namespace osprey::store
