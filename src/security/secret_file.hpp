#pragma once
// A server secret kept in the data directory, so what osprey signed before a restart still
// verifies after it. Used for the dialog tokens (dialog_token.hpp): with a new secret at every
// start, each call in progress would have its in-dialog requests (BYE, re-INVITE) judged as new
// ones once osprey restarted. Nonces keep a secret per start on purpose: the nonce counts that
// stop replays live in memory, so a nonce from before a restart must not verify again.

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>

#include <tl/expected.hpp>

namespace osprey::security {

using SecretBytes = std::array<std::uint8_t, 32>;

// Reads the 32 bytes of `file`; if there is no such file, makes 32 random bytes (OpenSSL's
// generator) and writes them there, readable by the owner only (0600), through a temporary file
// linked into place, so a crash never leaves half a key and a second server starting at the same
// moment reads the first one's. A file of another size, or one that
// cannot be read or written, is an error naming it: osprey will not run on a key it cannot trust.
tl::expected<SecretBytes, std::string> load_or_create_secret(const std::filesystem::path& file);

}  // namespace osprey::security
