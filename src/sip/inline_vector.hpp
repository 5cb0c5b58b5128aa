#pragma once
// A vector that keeps its first N elements inline and only touches the heap beyond them, so
// the header index of an ordinary message costs no allocation. For trivially copyable T only.

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>
#include <vector>

namespace osprey::sip {

template <typename T, std::size_t N>
class InlineVector {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return heap_.empty() ? inline_.data() : heap_.data(); }
  const T* data() const { return heap_.empty() ? inline_.data() : heap_.data(); }
  T& operator[](std::size_t i) { return data()[i]; }
  const T& operator[](std::size_t i) const { return data()[i]; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T& back() { return data()[size_ - 1]; }

  void push_back(const T& value) {
    if (heap_.empty() && size_ < N) {
      inline_[size_++] = value;
      return;
    }
    insert(size_, value);
  }

  void insert(std::size_t index, const T& value) {
    if (heap_.empty() && size_ < N) {
      std::copy_backward(inline_.begin() + index, inline_.begin() + size_, inline_.begin() + size_ + 1);
      inline_[index] = value;
    } else {
      if (heap_.empty()) {
        heap_.reserve(N * 2);
        heap_.assign(inline_.begin(), inline_.begin() + size_);
      }
      heap_.insert(heap_.begin() + static_cast<std::ptrdiff_t>(index), value);
    }
    ++size_;
  }

  void clear() {
    heap_.clear();
    size_ = 0;
  }

 private:
  // Left uninitialised: only the first size_ elements are ever read.
  std::array<T, N> inline_;
  std::vector<T> heap_;
  std::size_t size_ = 0;
};

}  // namespace osprey::sip
