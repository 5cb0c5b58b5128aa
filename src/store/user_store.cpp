#include "store/user_store.hpp"

#include "registrar/aor.hpp"
#include "sip/char_class.hpp"
#include "sip/uri.hpp"

namespace osprey::store {
namespace {

bool lowercase_hex(std::string_view text, std::size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!sip::is_class(c, sip::kHex) || (c >= 'A' && c <= 'F')) return false;
  }
  return true;
}

}  // namespace

tl::expected<AccountName, std::string> parse_account_name(std::string_view aor) {
  const std::string quoted = "'" + std::string(aor) + "'";
  const auto uri = sip::parse_uri(aor);
  if (!uri || !uri->is_sip()) return tl::unexpected(quoted + ": not a sip: AOR");
  if (!uri->has_user || uri->user.empty()) return tl::unexpected(quoted + ": an AOR needs a user part");
  if (uri->has_password) return tl::unexpected(quoted + ": an AOR must not carry a password");
  AccountName name;
  name.aor = registrar::canonical_aor(*uri);
  // canonical_aor is "sip:" user "@" host, with the user unescaped and the host lower-cased.
  const std::string_view canonical(name.aor);
  const std::size_t at = canonical.rfind('@');
  name.user = canonical.substr(4, at - 4);
  name.realm = canonical.substr(at + 1);
  return name;
}

tl::expected<void, std::string> check_ha1_set(const Ha1Set& ha1) {
  if (!lowercase_hex(ha1.md5, 32))
    return tl::unexpected(std::string("the MD5 HA1 is not 32 lowercase hex digits"));
  if (!lowercase_hex(ha1.sha256, 64)) {
    return tl::unexpected(std::string("the SHA-256 HA1 is not 64 lowercase hex digits"));
  }
  return {};
}

}  // namespace osprey::store
