#include "client/digest_account.hpp"

#include <fstream>

#include "sip/uri.hpp"

namespace osprey::client {

namespace {

tl::expected<std::string, std::string> first_line_of(const std::string& path) {
  std::ifstream file(path);
  if (!file) return tl::unexpected("cannot read the password file " + path);
  std::string line;
  std::getline(file, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();  // written on Windows
  if (line.empty()) return tl::unexpected("no password on the first line of " + path);
  return line;
}

}  // namespace

tl::expected<std::optional<DigestAccount>, std::string> digest_account_of(
    const DigestAccountSources& sources, std::string_view own_uri,
    std::optional<std::string_view> environment_password) {
  std::string password = sources.password;
  if (password.empty() && !sources.password_file.empty()) {
    auto read = first_line_of(sources.password_file);
    if (!read) return tl::unexpected(read.error());
    password = std::move(*read);
  }
  if (password.empty() && environment_password) password = std::string(*environment_password);
  if (password.empty()) return std::optional<DigestAccount>();

  std::string user = sources.user;
  if (user.empty()) {
    const auto uri = sip::parse_uri(own_uri);
    if (uri && uri->is_sip() && uri->has_user) user = sip::unescape(uri->user);
  }
  if (user.empty()) return tl::unexpected("--user is needed: " + std::string(own_uri) + " has no user part");
  return std::optional<DigestAccount>(DigestAccount{std::move(user), std::move(password)});
}

}  // namespace osprey::client
