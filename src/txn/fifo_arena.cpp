#include "txn/fifo_arena.hpp"

#include <algorithm>
#include <utility>

namespace osprey::txn {

char* FifoArena::append(std::size_t size) {
  const std::size_t needed = padded(size);
  if (chunks_.empty() || chunks_.back().capacity - chunks_.back().used < needed) {
    if (needed <= chunk_size_ && !spare_.empty()) {
      chunks_.push_back(std::move(spare_.back()));
      spare_.pop_back();
    } else {
      Chunk chunk;
      chunk.capacity = std::max(needed, chunk_size_);
      chunk.block = HugePageBlock(chunk.capacity);
      ++chunks_allocated_;
      chunks_.push_back(std::move(chunk));
    }
  }
  Chunk& chunk = chunks_.back();
  char* out = chunk.block.data() + chunk.used;
  chunk.used += needed;
  return out;
}

char* FifoArena::oldest() const {
  // Only the front chunk can be drained and still be there: when it is the only one.
  if (chunks_.empty() || chunks_.front().read == chunks_.front().used) return nullptr;
  return chunks_.front().block.data() + chunks_.front().read;
}

void FifoArena::release_oldest(std::size_t size) {
  // Records fill the chunks in order and are released in the same order, so the oldest one
  // still held is at the front chunk's read mark.
  Chunk& front = chunks_.front();
  front.read += padded(size);
  if (front.read < front.used) return;
  if (chunks_.size() == 1) {
    front.used = front.read = 0;  // the only chunk: start it over in place
    return;
  }
  Chunk emptied = std::move(front);
  chunks_.pop_front();
  if (emptied.capacity == chunk_size_ && spare_.size() < kSpareChunks) {
    emptied.used = emptied.read = 0;
    spare_.push_back(std::move(emptied));
  }
}

}  // namespace osprey::txn
