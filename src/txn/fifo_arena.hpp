#pragma once
// Bytes let go of in the order they were kept: what CompletedResponses holds for Timer J. Every
// entry there lingers the same 32 s, so its key and response bytes are appended to big chunks
// and a chunk is released once its last entry expires, instead of two heap blocks per entry
// (the response first built with slack, then shrunk into a copy). In a steady load the emptied
// chunks are reused, so the memory of expired responses serves the new ones without a trip
// through the allocator or the kernel; after a burst, the chunks beyond a few spares are freed.

#include <cstddef>
#include <deque>
#include <memory>
#include <string_view>
#include <vector>

namespace osprey::txn {

class FifoArena {
 public:
  static constexpr std::size_t kDefaultChunkSize = 256 * 1024;
  // Emptied chunks kept for reuse: enough for a steady load to run without allocating.
  static constexpr std::size_t kSpareChunks = 2;

  explicit FifoArena(std::size_t chunk_size = kDefaultChunkSize) : chunk_size_(chunk_size) {}

  // Copies `first` then `second` next to each other into the newest chunk (a new one when they
  // do not fit; one of their own size when they are larger than a chunk) and returns where the
  // copy starts. The bytes stay put until release_oldest() lets go of this append.
  const char* append(std::string_view first, std::string_view second);
  // Lets go of the oldest append still held. Only as many calls as appends.
  void release_oldest();

  std::size_t chunk_count() const { return chunks_.size(); }
  std::size_t chunks_allocated() const { return chunks_allocated_; }  // ever, for tests and metrics

 private:
  struct Chunk {
    std::unique_ptr<char[]> bytes;
    std::size_t size = 0;
    std::size_t used = 0;
    std::size_t held = 0;  // appends not yet released
  };
  Chunk& chunk_for(std::size_t size);

  std::size_t chunk_size_;
  std::deque<Chunk> chunks_;  // oldest first; appends go to the back one
  std::vector<Chunk> spare_;
  std::size_t chunks_allocated_ = 0;
};

}  // namespace osprey::txn
