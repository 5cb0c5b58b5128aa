#pragma once
// Memory for the buffers that grow with the load and live for seconds (the Timer J responses of
// CompletedResponses and their index): mapped straight from the kernel, 2 MiB aligned and marked
// MADV_HUGEPAGE once it is at least that big, so that with transparent huge pages in mode
// "always" or "madvise" one page fault brings in 2 MiB instead of 4 KiB.
//
// Why it matters: a REGISTER at 10,000/s leaves ~500 bytes behind for 32 s, and every first touch
// of a 4 KiB page is a fault. Under a hypervisor a fault is dear: on the benchmark VM, touching
// 64 MiB took 214 ms of CPU in 4 KiB pages and 4 ms in huge pages, and faults were ~10 % of a
// worker's CPU per REGISTER (perf). Where the kernel has no huge pages the hint is ignored and
// this is a plain anonymous mapping.

#include <cstddef>

namespace osprey::txn {

class HugePageBlock {
 public:
  static constexpr std::size_t kHugePage = std::size_t{2} * 1024 * 1024;

  HugePageBlock() = default;  // empty: no memory
  // At least `bytes` zeroed bytes (rounded up to the page size, and to kHugePage once at least
  // that big). Throws std::bad_alloc when the kernel refuses, as operator new would.
  explicit HugePageBlock(std::size_t bytes);
  ~HugePageBlock();
  HugePageBlock(HugePageBlock&& other) noexcept;
  HugePageBlock& operator=(HugePageBlock&& other) noexcept;
  HugePageBlock(const HugePageBlock&) = delete;
  HugePageBlock& operator=(const HugePageBlock&) = delete;

  char* data() const { return data_; }
  std::size_t size() const { return size_; }  // as mapped: at least what was asked for

 private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace osprey::txn
