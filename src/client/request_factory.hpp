#pragma once
// The out-of-dialog requests the client tools send (RFC 3261 §8.1.1): Request-URI, To, From
// with a fresh tag, a fresh Call-ID, CSeq 1, Max-Forwards 70. The transaction layer puts the Via
// on top when it sends them.

#include <cstdint>
#include <string>
#include <string_view>

#include "net/flow.hpp"
#include "sip/message.hpp"

namespace osprey::client {

// The identifiers of one request: §8.1.1.3 (From tag), §8.1.1.4 (Call-ID), §8.1.1.5 (CSeq).
struct RequestIds {
  std::string call_id;
  std::string from_tag;
  std::uint32_t cseq = 1;
};

// Fresh random identifiers (§8.1.1.4: a Call-ID unique over space and time; §19.3: tags with at
// least 32 bits of randomness).
RequestIds fresh_ids();

// A fresh tag for the To of a response (§19.3).
std::string fresh_tag();

// The Contact URI that reaches this client at `local` over `protocol` (RFC 3261 §10.2.1:
// the address responses and requests come back to). `request_uri` is the Request-URI of the
// request (the AOR for a REGISTER): RFC 3261 §8.1.1.8 wants a SIPS Contact when it is a SIPS
// URI; over TLS otherwise, transport=tls says the contact is reached over TLS (§19.1.1,
// §26.2.2: sip: with TLS makes no promise beyond the first hop, which is all we claim).
std::string contact_uri(const net::Endpoint& local, net::Protocol protocol,
                        std::string_view request_uri = {});

// OPTIONS to `target` (§11.1). From is `from`.
sip::Result<sip::Message> build_options(const RequestIds& ids, std::string_view target,
                                        std::string_view from);

// REGISTER for address-of-record `aor` (§10.2): the Request-URI is the AOR's domain (scheme,
// host and port, no user), To and From are the AOR, Contact is `contact` and Expires
// `expires` (0 removes the binding, §10.2.2). A `contact` of "*" with `expires` 0 removes
// every binding of the AOR (§10.2.2).
sip::Result<sip::Message> build_register(const RequestIds& ids, std::string_view aor,
                                         std::string_view contact, std::uint32_t expires);

// MESSAGE to `target` with `text` as text/plain;charset=utf-8 (RFC 3428 §4).
sip::Result<sip::Message> build_message(const RequestIds& ids, std::string_view target, std::string_view from,
                                        std::string_view text);

}  // namespace osprey::client
