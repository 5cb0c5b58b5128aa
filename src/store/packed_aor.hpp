#pragma once
// One AOR and all its bindings in a single heap block: the in-memory form of the location store.
//
// Why not std::vector<Binding>: a Binding is ~220 bytes of std::string/vector headers
// before its text, and its five strings usually outgrow the small-string buffer, so a binding
// costs ~6 allocations and ~450 bytes. The issue asks for 1,000,000 bindings in 600 MB RSS for
// the whole process. Packed, a typical AOR with one binding is one block of ~150 bytes plus a
// 16-byte slot in its shard's AorTable. A REGISTER replaces the whole set of an AOR anyway, so re-encoding
// the block on change costs nothing extra; lookups decode into Bindings, as they copy out anyway.
//
// Layout (integers in host order, copied with memcpy so they need no alignment; the owners
// count is an atomic at a 4-byte aligned offset):
//   expiry wheel link (two pointers, see ExpiryWheel) |
//   i64 earliest expires_at | u32 binding count | u32 owners (atomic: the store, a journal) |
//   varint aor length, aor bytes
//   per binding: i64 expires_at | u32 cseq | u16 q | contact | call_id | source | user_agent |
//                instance | varint reg_id * 2 + outbound | varint durable lead | varint path count,
//                then each path value
//                (strings: varint length, bytes; a binding without instance costs 2 bytes more;
//                the source typed: protocol and family byte, address, port, varint connection)

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "store/binding.hpp"

namespace osprey::store {

// One binding read in place from a block: the views point into it and live as long as it does.
struct PackedBinding {
  std::int64_t expires_at = 0;
  std::uint32_t cseq = 0;
  std::uint16_t q = 1000;
  std::string_view contact;
  std::string_view call_id;
  std::optional<BindingSource> source;
  std::string_view user_agent;
  std::string_view instance;
  std::uint32_t reg_id = 0;
  bool outbound = false;
  // The expiry the durable journal holds (or is writing) for this binding: never earlier than
  // `expires_at` (MemoryLocationStore::update says why it may be later). A varint of the lead
  // over `expires_at` in the block: 1 to 3 bytes.
  std::int64_t durable_until = 0;
  std::vector<std::string_view> path;  // cleared and refilled: a reused view allocates once
};

class SharedPackedAor;

class PackedAor {
 public:
  // Where ExpiryWheel threads the block into one of its slots (an intrusive list, as in the
  // Linux hlist: `pprev` points at whatever points at this block). Not part of the value: a
  // block is linked and unlinked while it sits in its table, and its slot may move.
  struct WheelLink {
    char* next = nullptr;
    char** pprev = nullptr;
  };

  PackedAor() = default;  // empty: holds nothing; only valid to destroy or assign
  // A block leaves its wheel slot when it is freed, so a slot never points at freed memory.
  ~PackedAor() { unlink(); }
  PackedAor(PackedAor&&) noexcept = default;
  PackedAor& operator=(PackedAor&& other) noexcept;
  PackedAor(const PackedAor&) = delete;
  PackedAor& operator=(const PackedAor&) = delete;

  // The bindings' `aor` members are ignored: `aor` is stored once. The store keeps no block
  // without bindings, but a journal is handed one to say that the AOR is gone. `durable_until`:
  // one per binding (PackedBinding::durable_until; a value before the binding's expiry counts
  // as its expiry), or empty when each is the binding's own expiry.
  static PackedAor encode(std::string_view aor, std::span<const Binding> bindings,
                          std::span<const std::int64_t> durable_until = {});
  // A second owner of this block, for a journal to read on its own thread while the store goes
  // on (the store may unlink or drop its handle meanwhile; the last owner frees the block).
  // Instead of a copy per change, or a Binding per binding with its strings, each allocated here
  // and freed on the journal's thread.
  SharedPackedAor share() const;

  explicit operator bool() const { return data_ != nullptr; }
  std::string_view aor() const;
  std::uint32_t size() const;            // bindings, expired ones included
  std::int64_t earliest_expiry() const;  // the smallest expires_at of the set
  std::size_t live_count(std::int64_t now) const;
  // The bindings still live at `now` (expires_at > now), in stored order, with `aor` filled in.
  std::vector<Binding> live(std::int64_t now) const;
  // Calls `visit(const PackedBinding&)` for every binding, expired ones included, in stored
  // order, without allocating (but for `path` the first time one has a Path).
  template <typename Visit>
  void visit(Visit&& visit) const {
    visit_block(data_.get(), visit);
  }
  std::size_t heap_bytes() const;  // the block's size, for footprint measurements

  // The block's link, for ExpiryWheel; null for an empty PackedAor.
  WheelLink* wheel_link() const;
  // Takes the block out of the wheel slot it is in, if any.
  void unlink() const;
  // Read straight from a block, as WheelLink::next points at one.
  static std::int64_t earliest_expiry_of(const char* block);
  static std::string_view aor_of(const char* block);
  static std::uint32_t size_of(const char* block);

  // Drops one owner of a block; the last one frees it.
  struct Release {
    void operator()(char* block) const noexcept;
  };

 private:
  friend class SharedPackedAor;
  using Block = std::unique_ptr<char[], Release>;

  explicit PackedAor(Block data) : data_(std::move(data)) {}
  static const char* first_binding_of(const char* block);
  // Reads the binding at `at` into `out`; returns where the next one starts.
  static const char* read_binding(const char* at, PackedBinding& out);
  template <typename Visit>
  static void visit_block(const char* block, Visit& visit) {
    PackedBinding binding;
    const char* at = first_binding_of(block);
    for (std::uint32_t i = size_of(block); i > 0; --i) {
      at = read_binding(at, binding);
      visit(static_cast<const PackedBinding&>(binding));
    }
  }
  Block data_;
};

// A journal's hold on a PackedAor's block (PackedAor::share): reads the AOR and its bindings,
// never the wheel link, which stays the store's alone. Move-only.
class SharedPackedAor {
 public:
  SharedPackedAor() = default;
  explicit operator bool() const { return block_ != nullptr; }
  std::string_view aor() const { return PackedAor::aor_of(block_.get()); }
  std::uint32_t size() const { return PackedAor::size_of(block_.get()); }
  template <typename Visit>
  void visit(Visit&& visit) const {
    PackedAor::visit_block(block_.get(), visit);
  }

 private:
  friend class PackedAor;
  explicit SharedPackedAor(char* block) : block_(block) {}
  PackedAor::Block block_;
};

}  // namespace osprey::store
