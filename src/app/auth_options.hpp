#pragma once
// The Digest options of the client tools that send requests a server may challenge (register,
// message, listen): --user, --password, --password-file, and the OSPREY_PASSWORD variable
// (client/digest_account.hpp says which wins).

#include <optional>
#include <string_view>

#include <CLI/App.hpp>
#include <tl/expected.hpp>

#include "app/command.hpp"
#include "client/digest_account.hpp"
#include "client/outcome.hpp"

namespace osprey::app {

// Adds --user, --password and --password-file (the two exclusive) to `command`.
void add_auth_options(CLI::App* command, client::DigestAccountSources& sources);

// The account of `sources` with OSPREY_PASSWORD from this process's environment; `own_uri` gives
// the default user name (the AOR, or the sender).
tl::expected<std::optional<client::DigestAccount>, std::string> account_of(
    const client::DigestAccountSources& sources, std::string_view own_uri);

// When a 401/407 was final for a reason of ours (credentials refused, no challenge to answer),
// says so on `streams.err`; the status line itself is report_outcome's.
void report_challenge_note(const client::Outcome& outcome, Streams& streams);

}  // namespace osprey::app
