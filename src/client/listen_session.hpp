#pragma once
// `osprey listen` as a session of the client's user agent: register a contact for the AOR,
// print every MESSAGE that reaches it and answer it (incoming_answer.hpp), refresh the
// registration before it expires (registration_refresh.hpp), and on SIGINT/SIGTERM, or after
// `count` messages, remove the binding (REGISTER with the contact and Expires: 0, RFC 3261
// §10.2.2) and end.

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>

#include "client/client_request.hpp"

namespace osprey::client {

struct ListenSettings {
  std::string aor;  // sip:bob@example.com
  std::uint32_t expires = 3600;
  std::size_t count = 0;  // stop after this many messages; 0: only on a signal
  ClientSettings client;
};

// Runs the session; messages go to `out` (flushed after each), everything else to `err`.
// Returns the exit code (outcome.hpp): 0 after a clean unregistration; the code of the
// REGISTER's outcome when registering or unregistering fails.
int listen_for_messages(const ListenSettings& settings, std::ostream& out, std::ostream& err);

}  // namespace osprey::client
