#include "store/account_snapshot.hpp"

#include <algorithm>
#include <utility>

#include "sip/char_class.hpp"

namespace osprey::store {

AccountSnapshot::AccountSnapshot(std::vector<Account> accounts) {
  by_aor_.reserve(accounts.size());
  for (Account& account : accounts) {
    std::string key = account.aor;
    by_aor_.emplace(std::move(key), std::move(account));
  }
}

const Account* AccountSnapshot::find_aor(std::string_view aor) const {
  const auto found = by_aor_.find(aor);
  return found == by_aor_.end() ? nullptr : &found->second;
}

const Account* AccountSnapshot::find(std::string_view user, std::string_view realm) const {
  // The canonical AOR is "sip:" user "@" realm with the realm lower-cased (see
  // parse_account_name), so one index serves both lookups.
  std::string aor;
  aor.reserve(5 + user.size() + realm.size());
  aor += "sip:";
  aor += user;
  aor += '@';
  for (char c : realm) aor += sip::ascii_lower(c);
  return find_aor(aor);
}

std::vector<Account> AccountSnapshot::sorted() const {
  std::vector<Account> out;
  out.reserve(by_aor_.size());
  for (const auto& [aor, account] : by_aor_) out.push_back(account);
  std::sort(out.begin(), out.end(), [](const Account& a, const Account& b) { return a.aor < b.aor; });
  return out;
}

}  // namespace osprey::store
