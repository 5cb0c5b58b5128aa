#pragma once
// Records let go of in the order they were made: what CompletedResponses holds for Timer J. Every
// entry there lingers the same 32 s, so each one (its header, key and response bytes) is appended
// to big chunks and a chunk is released once its last record is, instead of heap blocks per
// entry. The chunks are HugePageBlocks (2 MiB, huge pages where the kernel has them), so a busy
// worker takes one page fault per 2 MiB of responses rather than one per 4 KiB. In a steady load
// the emptied chunks are reused, so the memory of expired responses serves the new ones without a
// trip through the kernel; after a burst, the chunks beyond a few spares are unmapped.

#include <cstddef>
#include <deque>
#include <vector>

#include "txn/huge_page_block.hpp"

namespace osprey::txn {

class FifoArena {
 public:
  static constexpr std::size_t kDefaultChunkSize = HugePageBlock::kHugePage;
  // Every record starts on this boundary, so a record may begin with any object.
  static constexpr std::size_t kAlignment = alignof(std::max_align_t);
  // Emptied chunks kept for reuse: in a steady load one is emptied as another fills, so one spare
  // lets it run without mapping memory. Each is 2 MiB resident (huge pages), so no more.
  static constexpr std::size_t kSpareChunks = 1;

  explicit FifoArena(std::size_t chunk_size = kDefaultChunkSize) : chunk_size_(chunk_size) {}

  // Room for a record of `size` bytes (more than 0) at the back: in the newest chunk, in a new one
  // when it does not fit, or in one of its own when it is larger than a chunk. kAlignment aligned,
  // uninitialised; it stays put until release_oldest() lets go of it.
  char* append(std::size_t size);
  // The oldest record still held, or null when none is.
  char* oldest() const;
  // Lets go of the oldest record, which was appended with `size`. Only while one is held.
  void release_oldest(std::size_t size);

  std::size_t chunk_count() const { return chunks_.size(); }
  std::size_t chunks_allocated() const { return chunks_allocated_; }  // ever, for tests and metrics

 private:
  struct Chunk {
    HugePageBlock block;
    std::size_t capacity = 0;  // bytes usable: the chunk size, or one big record's
    std::size_t used = 0;      // appended up to here
    std::size_t read = 0;      // released up to here
  };
  static std::size_t padded(std::size_t size) { return (size + kAlignment - 1) / kAlignment * kAlignment; }

  std::size_t chunk_size_;
  std::deque<Chunk> chunks_;  // oldest first; appends go to the back one
  std::vector<Chunk> spare_;
  std::size_t chunks_allocated_ = 0;
};

}  // namespace osprey::txn
