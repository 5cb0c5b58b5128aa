#include "txn/fifo_arena.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace osprey::txn {

FifoArena::Chunk& FifoArena::chunk_for(std::size_t size) {
  if (!chunks_.empty() && chunks_.back().size - chunks_.back().used >= size) return chunks_.back();
  if (size <= chunk_size_ && !spare_.empty()) {
    chunks_.push_back(std::move(spare_.back()));
    spare_.pop_back();
    return chunks_.back();
  }
  Chunk chunk;
  chunk.size = std::max(size, chunk_size_);
  chunk.bytes = std::make_unique_for_overwrite<char[]>(chunk.size);
  ++chunks_allocated_;
  chunks_.push_back(std::move(chunk));
  return chunks_.back();
}

const char* FifoArena::append(std::string_view first, std::string_view second) {
  Chunk& chunk = chunk_for(first.size() + second.size());
  char* out = chunk.bytes.get() + chunk.used;
  if (!first.empty()) std::memcpy(out, first.data(), first.size());
  if (!second.empty()) std::memcpy(out + first.size(), second.data(), second.size());
  chunk.used += first.size() + second.size();
  ++chunk.held;
  return out;
}

void FifoArena::release_oldest() {
  // Appends fill the chunks in order and are released in the same order, so the oldest one
  // still held is in the front chunk (every chunk holds at least the append it was made for).
  Chunk& front = chunks_.front();
  if (--front.held > 0) return;
  if (chunks_.size() == 1) {
    front.used = 0;  // the only chunk: start it over in place
    return;
  }
  Chunk emptied = std::move(front);
  chunks_.pop_front();
  if (emptied.size == chunk_size_ && spare_.size() < kSpareChunks) {
    emptied.used = 0;
    spare_.push_back(std::move(emptied));
  }
}

}  // namespace osprey::txn
