#include "txn/huge_page_block.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <new>
#include <utility>

namespace osprey::txn {
namespace {

std::size_t round_up(std::size_t value, std::size_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}

}  // namespace

HugePageBlock::HugePageBlock(std::size_t bytes) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  if (bytes < kHugePage) {
    size_ = round_up(bytes == 0 ? 1 : bytes, page);
    void* mapped = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<char*>(mapped);
    return;
  }
  // A huge page can only back a 2 MiB aligned range: map one huge page more than needed, then
  // give back the unaligned head and the tail.
  size_ = round_up(bytes, kHugePage);
  const std::size_t mapped_size = size_ + kHugePage;
  void* mapped = ::mmap(nullptr, mapped_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) throw std::bad_alloc();
  const auto start = reinterpret_cast<std::uintptr_t>(mapped);
  const std::uintptr_t aligned = round_up(start, kHugePage);
  if (aligned > start) ::munmap(mapped, aligned - start);
  const std::size_t tail = start + mapped_size - (aligned + size_);
  if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + size_), tail);
  data_ = reinterpret_cast<char*>(aligned);
  // Only a hint: without transparent huge pages it fails, and the block works all the same.
  (void)::madvise(data_, size_, MADV_HUGEPAGE);
}

HugePageBlock::~HugePageBlock() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

HugePageBlock::HugePageBlock(HugePageBlock&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

HugePageBlock& HugePageBlock::operator=(HugePageBlock&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

}  // namespace osprey::txn
