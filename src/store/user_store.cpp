#include "store/user_store.hpp"

#include <string>

#include "sip/aor.hpp"
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
  // An absurd AOR is not echoed whole: its start is enough to recognise it.
  constexpr std::size_t kQuoted = 64;
  const std::string quoted =
      "'" + std::string(aor.substr(0, kQuoted)) + (aor.size() > kQuoted ? "...'" : "'");
  if (aor.size() > kMaxAorBytes) {
    return tl::unexpected(quoted + ": an AOR is at most " + std::to_string(kMaxAorBytes) + " bytes (" +
                          std::to_string(aor.size()) + " given)");
  }
  const auto uri = sip::parse_uri(aor);
  if (!uri || !uri->is_sip()) return tl::unexpected(quoted + ": not a sip: AOR");
  if (!uri->has_user || uri->user.empty())
    return tl::unexpected(quoted + ": an AOR is user@domain (e.g. alice@example.com)");
  if (uri->has_password) return tl::unexpected(quoted + ": an AOR must not carry a password");
  if (uri->host.empty()) return tl::unexpected(quoted + ": an AOR needs a domain");
  AccountName name;
  name.aor = sip::account_aor(*uri);
  // The user part is unescaped in the canonical form (RFC 3261 §10.3): an escaped control
  // character (%00, %0D%0A) would reach the Digest user name, logs and headers as written.
  const std::string_view user_part(name.aor);
  const std::size_t host_at = user_part.rfind('@');
  for (char c : user_part.substr(0, host_at)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f)
      return tl::unexpected(quoted + ": the user part must not contain control characters");
  }
  // account_aor is "sip:" user "@" host, with the user unescaped and the host lower-cased.
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
