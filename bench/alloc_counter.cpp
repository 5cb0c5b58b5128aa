#include "alloc_counter.hpp"

#include <atomic>
#include <cstddef>
#include <cstdlib>

#ifndef OSPREY_BENCH_NO_MALLOC_HOOK

// glibc exports its allocator under these names too, so the interposed functions can forward to
// it and memory from either path stays compatible with libc's free().
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* pointer, std::size_t size);
}

namespace {

std::atomic<std::uint64_t> g_allocations{0};

// A relaxed load and store, not a locked read-modify-write: the benchmarks are single-threaded,
// and a lock prefix per call would slow down the allocation-heavy parsers being compared.
inline void count_one() {
  g_allocations.store(g_allocations.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

}  // namespace

extern "C" {

void* malloc(std::size_t size) noexcept {
  count_one();
  return __libc_malloc(size);
}

void* calloc(std::size_t count, std::size_t size) noexcept {
  count_one();
  return __libc_calloc(count, size);
}

void* realloc(void* pointer, std::size_t size) noexcept {
  count_one();
  return __libc_realloc(pointer, size);
}

}  // extern "C"

namespace osprey::bench {
std::uint64_t allocation_count() { return g_allocations.load(std::memory_order_relaxed); }
bool allocation_counting_enabled() { return true; }
}  // namespace osprey::bench

#else

namespace osprey::bench {
std::uint64_t allocation_count() { return 0; }
bool allocation_counting_enabled() { return false; }
}  // namespace osprey::bench

#endif
