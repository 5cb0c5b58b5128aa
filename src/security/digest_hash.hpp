#pragma once
// The hash H() of HTTP/SIP Digest (RFC 7616 §3.4, RFC 3261 §22.4) as lowercase hex, and HA1,
// the hash of user name, realm and password that osprey stores instead of the password
// (RFC 7616 §3.4.2; RFC 2617 §3.2.2.2 for MD5). A server holding HA1 can check a response
// without ever knowing the password.

#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "sip/auth_headers.hpp"

namespace osprey::security {

// The hex of one Digest hash in a fixed buffer: 32 digits for MD5, 64 for SHA-256 and
// SHA-512/256. What a server computes per request lives on the stack, never on the heap.
struct DigestHex {
  std::array<char, 64> digits{};
  std::size_t size = 0;

  std::string_view view() const { return {digits.data(), size}; }
};

// H(part1 ":" part2 ":" ...) in lowercase hex into `out` (RFC 7616 §3.4: "H(data)" is the hex of
// the algorithm's hash). Parts are fed to the hash one after the other, joined by ':' without
// copying: a response is H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2) (RFC 7616 §3.4.1).
// MD5 and SHA-256 (and their -sess variants, which hash with the same function) run on OpenSSL's
// plain hash functions with the state on the stack: no allocation and no provider lookup, the
// two costs that made up most of a verification through EVP. SHA-512/256 goes through EVP.
// False for `other`, or when OpenSSL failed.
bool digest_hex_into(sip::DigestAlgorithm algorithm, std::initializer_list<std::string_view> parts,
                     DigestHex& out);

// The same as a string; the error names the algorithm OpenSSL could not compute.
tl::expected<std::string, std::string> digest_hex(sip::DigestAlgorithm algorithm,
                                                  std::initializer_list<std::string_view> parts);

// HA1 = H(username ":" realm ":" password) (RFC 7616 §3.4.2). For a -sess algorithm this is the
// inner hash its A1 is built on, H(H(username ":" realm ":" password) ":" nonce ":" cnonce) being
// computed per request from the stored value.
tl::expected<std::string, std::string> digest_ha1(sip::DigestAlgorithm algorithm, std::string_view username,
                                                  std::string_view realm, std::string_view password);

}  // namespace osprey::security
