#include "app/auth_options.hpp"

#include <cstdlib>

namespace osprey::app {

void add_auth_options(CLI::App* command, client::DigestAccountSources& sources) {
  command->add_option("--user", sources.user,
                      "User name for Digest authentication (default: the user part of the address)");
  CLI::Option* password =
      command->add_option("--password", sources.password,
                          "Password for Digest authentication; visible to `ps`: prefer --password-file or " +
                              std::string(client::kPasswordVariable));
  CLI::Option* file = command->add_option("--password-file", sources.password_file,
                                          "Read the password from this file's first line");
  password->excludes(file);
}

tl::expected<std::optional<client::DigestAccount>, std::string> account_of(
    const client::DigestAccountSources& sources, std::string_view own_uri) {
  const char* environment = std::getenv(client::kPasswordVariable);
  return client::digest_account_of(sources, own_uri,
                                   environment ? std::optional<std::string_view>(environment) : std::nullopt);
}

void report_challenge_note(const client::Outcome& outcome, Streams& streams) {
  if (!outcome.response || outcome.detail.empty()) return;
  const int status = outcome.response->status();
  if (status == 401 || status == 407) streams.err << outcome.detail << '\n';
}

}  // namespace osprey::app
