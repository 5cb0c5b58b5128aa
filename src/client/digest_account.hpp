#pragma once
// Where the client tools take the Digest user name and password from. The password may come
// from the command line, from a file or from the environment: only the first shows in `ps`
// output and shell history, so scripts should use one of the others.

#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "client/digest_credentials.hpp"

namespace osprey::client {

// The environment variable the tools read a password from.
inline constexpr const char* kPasswordVariable = "OSPREY_PASSWORD";

struct DigestAccountSources {
  std::string user;           // --user; empty: the user part of the tool's own URI
  std::string password;       // --password
  std::string password_file;  // --password-file: its first line is the password
};

// The account to answer challenges with, from `sources` and `environment_password` (the value
// of OSPREY_PASSWORD, if set), the first of --password, --password-file, OSPREY_PASSWORD that is
// given (an empty value is not given). The user is --user, else the user part of `own_uri` (the
// AOR of register and listen, the --from of message), unescaped (RFC 3261 §19.1.2).
// nullopt: no password, so a challenge is the final response. Errors: an unreadable password
// file or one whose first line is empty; a password but no user name.
tl::expected<std::optional<DigestAccount>, std::string> digest_account_of(
    const DigestAccountSources& sources, std::string_view own_uri,
    std::optional<std::string_view> environment_password);

}  // namespace osprey::client
