#pragma once
// Every account at one moment, immutable once built: UserStore readers share one through a
// std::shared_ptr and a reload swaps in a new one, so a lookup never waits for the disk or for
// a reload in progress.

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/user_store.hpp"

namespace osprey::store {

class AccountSnapshot {
 public:
  AccountSnapshot() = default;
  explicit AccountSnapshot(std::vector<Account> accounts);

  const Account* find(std::string_view user, std::string_view realm) const;
  const Account* find_aor(std::string_view aor) const;
  std::size_t size() const { return by_aor_.size(); }
  std::vector<Account> sorted() const;

 private:
  // Heterogeneous lookup: a string_view key is looked up without building a std::string.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  std::unordered_map<std::string, Account, Hash, std::equal_to<>> by_aor_;
};

}  // namespace osprey::store
