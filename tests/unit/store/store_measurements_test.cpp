// Measurements, not tests: DISABLED_ so the unit run skips them. Run them one at a time in a build
// without sanitizers (ASan pads every allocation), e.g.
//   ./osprey_store_tests --gtest_also_run_disabled_tests --gtest_filter='StoreMeasurement.*Footprint*'
// Each prints its figures; the assertions only catch gross regressions.

#include <malloc.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "store/durable_location_store.hpp"
#include "store/memory_location_store.hpp"
#include "store/sqlite_journal.hpp"
#include "store_test_support.hpp"

namespace osprey::store {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0;
  std::size_t resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::size_t heap_in_use() { return mallinfo2().uordblks; }

// What a typical softphone registers: fields of realistic length (contact with transport, a
// random-looking Call-ID, the flow it came from, a User-Agent), no Path.
Binding typical_binding(std::uint32_t i) {
  Binding binding;
  binding.aor = "sip:user" + std::to_string(i) + "@voip.example.com";
  binding.contact = "sip:user" + std::to_string(i) + "@203.0.113." + std::to_string(i % 250) + ":" +
                    std::to_string(5060 + i % 1000) + ";transport=udp";
  binding.expires_at = kNow + 3600;
  binding.call_id = "a84b4c76e66710" + std::to_string(i * 2654435761u) + "@pc33.example.com";
  binding.cseq = 314159;
  binding.source = BindingSource{
      net::Protocol::udp,
      {boost::asio::ip::make_address_v4(0xcb007100u + i % 250), static_cast<std::uint16_t>(5060 + i % 1000)},
      0};  // udp:203.0.113.x:port
  binding.user_agent = "Linphone/5.2.0 (belle-sip/5.2.0)";
  return binding;
}

constexpr std::uint32_t kMillion = 1'000'000;

TEST(StoreMeasurement, DISABLED_MemoryFootprintOfAMillionBindings) {
  const std::size_t rss_before = resident_bytes();
  const std::size_t heap_before = heap_in_use();
  MemoryLocationStore store;
  for (std::uint32_t i = 0; i < kMillion; ++i) {
    Binding binding = typical_binding(i);
    const std::string aor = binding.aor;
    store.restore(aor, {std::move(binding)});
  }
  const std::size_t rss = resident_bytes() - rss_before;
  const std::size_t heap = heap_in_use() - heap_before;
  std::printf(
      "MemoryLocationStore, 1,000,000 AORs x 1 binding: RSS +%zu MB (%zu B/binding), heap +%zu MB (%zu "
      "B/binding)\n",
      rss >> 20, rss / kMillion, heap >> 20, heap / kMillion);
  EXPECT_EQ(store.binding_count(), kMillion);
  EXPECT_LT(rss, 600u << 20);
}

TEST(StoreMeasurement, DISABLED_MemoryFootprintOfPlainBindingVectorsForComparison) {
  const std::size_t rss_before = resident_bytes();
  const std::size_t heap_before = heap_in_use();
  std::unordered_map<std::string, std::vector<Binding>> plain;
  for (std::uint32_t i = 0; i < kMillion; ++i) {
    Binding binding = typical_binding(i);
    std::string aor = binding.aor;
    plain[std::move(aor)].push_back(std::move(binding));
  }
  const std::size_t rss = resident_bytes() - rss_before;
  const std::size_t heap = heap_in_use() - heap_before;
  std::printf(
      "unordered_map<string, vector<Binding>>, 1,000,000: RSS +%zu MB (%zu B/binding), heap +%zu MB (%zu "
      "B/binding)\n",
      rss >> 20, rss / kMillion, heap >> 20, heap / kMillion);
  EXPECT_EQ(plain.size(), kMillion);
}

// REGISTER-like updates through the durable store: `threads` workers, each with up to
// `in_flight` updates waiting for their `durable` callback (a worker has many transactions open),
// over `aors` AORs (refreshes replace a set). Returns updates per second.
double durable_updates_per_second(SqliteSync sync, int threads, int in_flight, std::uint32_t total,
                                  std::uint32_t aors, std::uint64_t* commits) {
  testing::TempDir dir;
  auto journal = SqliteJournal::open(dir.path(), sync);
  if (!journal) return 0;
  SqliteJournal* file = journal->get();
  MemoryLocationStore store(std::move(*journal));
  std::atomic<std::uint32_t> done{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::atomic<int> open{0};
      for (std::uint32_t i = static_cast<std::uint32_t>(t); i < total;
           i += static_cast<std::uint32_t>(threads)) {
        while (open.load() >= in_flight) std::this_thread::yield();
        ++open;
        Binding binding = typical_binding(i % aors);
        binding.cseq = i;
        const std::string aor = binding.aor;
        store.update(
            aor, kNow,
            [&binding](const std::vector<Binding>&) {
              return AorUpdate{std::span<const Binding>(&binding, 1)};
            },
            [&](bool) {
              ++done;
              --open;
            });
      }
      while (open.load() > 0) std::this_thread::yield();
    });
  }
  for (auto& worker : workers) worker.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  *commits = file->commits();
  EXPECT_EQ(done.load(), total);
  return total / seconds;
}

TEST(StoreMeasurement, DISABLED_DurableUpdatesPerSecond) {
  struct Case {
    const char* name;
    SqliteSync sync;
    int threads;
    int in_flight;
    std::uint32_t total;
  };
  const Case cases[] = {
      {"FULL,   1 in flight (no grouping)", SqliteSync::full, 1, 1, 2'000},
      {"NORMAL, 1 in flight (no grouping)", SqliteSync::normal, 1, 1, 2'000},
      {"FULL,   4 workers x 256 in flight", SqliteSync::full, 4, 256, 200'000},
      {"NORMAL, 4 workers x 256 in flight", SqliteSync::normal, 4, 256, 200'000},
  };
  for (const Case& c : cases) {
    std::uint64_t commits = 0;
    const double rate = durable_updates_per_second(c.sync, c.threads, c.in_flight, c.total, 50'000, &commits);
    std::printf("%s: %.0f updates/s, %u updates in %llu commits (%.1f per commit)\n", c.name, rate, c.total,
                static_cast<unsigned long long>(commits), commits ? double(c.total) / double(commits) : 0.0);
  }
}

TEST(StoreMeasurement, DISABLED_StartUpLoadsAMillionBindings) {
  testing::TempDir dir;
  {
    auto journal = SqliteJournal::open(dir.path(), SqliteSync::normal);
    ASSERT_TRUE(journal) << journal.error();
    for (std::uint32_t i = 0; i < kMillion; ++i) {
      Binding binding = typical_binding(i);
      const std::string aor = binding.aor;
      ASSERT_FALSE((*journal)->write(aor, {std::move(binding)}, nullptr));
      if (i % 10'000 == 9'999) {  // a bounded queue, so writing does not inflate the heap measured below
        testing::Callbacks written;
        if (auto now = (*journal)->after_pending(written.make(0))) now(true);
        ASSERT_TRUE(written.wait_for(1, std::chrono::seconds(60)));
      }
    }
  }
  malloc_trim(0);
  const std::size_t rss_before = resident_bytes();
  const auto start = std::chrono::steady_clock::now();
  auto store = open_durable_location_store(dir.path(), kNow);
  ASSERT_TRUE(store) << store.error();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("start-up load of %zu bindings: %.2f s, RSS +%zu MB, file %ju MB\n", (*store)->binding_count(),
              seconds, (resident_bytes() - rss_before) >> 20,
              static_cast<std::uintmax_t>(std::filesystem::file_size(dir.path() / "osprey.db") >> 20));
  EXPECT_EQ((*store)->binding_count(), kMillion);
}

}  // namespace
}  // namespace osprey::store
