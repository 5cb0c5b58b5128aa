#pragma once
// How a TLS client checks the server it reached (RFC 3261 §26.2.1, RFC 5922 §7): the server's
// certificate must be valid for the name we meant to reach (the host of the URI or Route we
// resolved), or for its address when we only had an address. OpenSSL checks the name during
// chain verification.

#include <string>
#include <string_view>

#include <openssl/ssl.h>

namespace osprey::net {

// Sets `ssl` up to verify the peer against `server_name`, or `address_text` when the name is
// empty. Returns an empty string, or why it cannot be done. The caller still sets verify_peer.
std::string prepare_tls_peer_verification(SSL* ssl, std::string_view server_name,
                                          const std::string& address_text);

}  // namespace osprey::net
