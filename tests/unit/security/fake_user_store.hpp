#pragma once
// A store::UserStore in memory for the security tests: accounts are added with a password, whose
// HA1 values it computes with security::digest_ha1 as `osprey user add` would. It counts find()
// calls so a test can see that a path consulted the store.

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "security/digest_hash.hpp"
#include "sip/char_class.hpp"
#include "store/user_store.hpp"

namespace osprey::security::testing {

class FakeUserStore : public store::UserStore {
 public:
  // Adds user@realm with `password`; returns the account as find() will return it.
  store::Account add_user(const std::string& user, const std::string& realm, const std::string& password) {
    store::Account account;
    account.aor = "sip:" + user + "@" + realm;
    account.user = user;
    account.realm = realm;
    account.ha1.md5 = ha1(sip::DigestAlgorithm::md5, user, realm, password);
    account.ha1.sha256 = ha1(sip::DigestAlgorithm::sha256, user, realm, password);
    accounts_[{user, lower(realm)}] = account;
    return account;
  }

  // The user store contract: the realm compares case-insensitively, the user as written.
  std::optional<store::Account> find(std::string_view user, std::string_view realm) const override {
    ++finds;
    const auto found = accounts_.find({std::string(user), lower(realm)});
    if (found == accounts_.end()) return std::nullopt;
    return found->second;
  }
  bool has_aor(std::string_view aor) const override {
    for (const auto& [key, account] : accounts_)
      if (account.aor == aor) return true;
    return false;
  }
  std::size_t size() const override { return accounts_.size(); }
  tl::expected<bool, std::string> reload_if_changed() override { return false; }
  tl::expected<void, std::string> add(std::string_view, const store::Ha1Set&) override {
    return tl::unexpected(std::string("not supported by the fake"));
  }
  tl::expected<void, std::string> set_credentials(std::string_view, const store::Ha1Set&) override {
    return tl::unexpected(std::string("not supported by the fake"));
  }
  tl::expected<void, std::string> remove(std::string_view) override {
    return tl::unexpected(std::string("not supported by the fake"));
  }
  tl::expected<void, std::string> add_many(std::span<const std::pair<std::string, store::Ha1Set>>) override {
    return tl::unexpected(std::string("not supported by the fake"));
  }
  tl::expected<std::vector<store::Account>, std::string> list() override {
    std::vector<store::Account> all;
    for (const auto& [key, account] : accounts_) all.push_back(account);
    return all;
  }

  mutable int finds = 0;

 private:
  static std::string ha1(sip::DigestAlgorithm algorithm, const std::string& user, const std::string& realm,
                         const std::string& password) {
    const auto value = digest_ha1(algorithm, user, realm, password);
    EXPECT_TRUE(value) << value.error();
    return value.value_or("");
  }
  static std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = sip::ascii_lower(c);
    return out;
  }

  std::map<std::pair<std::string, std::string>, store::Account> accounts_;
};

}  // namespace osprey::security::testing
