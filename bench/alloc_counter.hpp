#pragma once
// Counts heap allocations in the benchmark binary. malloc, calloc and realloc are interposed
// (the executable's definitions win over libc's for every shared library), so one counter sees
// osprey's allocations (operator new calls malloc) and those of libosip2 and sofia-sip alike.

#include <cstdint>

namespace osprey::bench {

// Allocation calls (malloc + calloc + realloc) since the process started.
std::uint64_t allocation_count();

// False when the interposition is compiled out (sanitizer builds, which own malloc themselves).
bool allocation_counting_enabled();

}  // namespace osprey::bench
