#pragma once
// The clients that must be challenged with MD5 alone, recognised by the start of their
// User-Agent (RFC 3261 §20.41).
//
// RFC 8760 §2.4 lets a server offer several Digest challenges, and a client take the first
// algorithm it supports. libre, the SIP stack of baresip, instead gives up on the whole 401/407
// as soon as it meets a challenge whose algorithm is not MD5, even when MD5 is offered too and
// wherever MD5 stands in the list. Those clients can only register if the answer they get
// carries nothing but the MD5 challenge.
//
// The User-Agent is chosen by the sender, so matching it may only ever select what every client
// is offered anyway: the MD5 challenge, with the same realm, nonce and qop. It never adds an
// algorithm the operator did not configure (without MD5 in digest_algorithms nothing changes)
// and never changes what verify() accepts.

#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"

namespace osprey::security {

class Md5OnlyClients {
 public:
  // Prefixes match case-insensitively at the start of the User-Agent; empty ones are ignored
  // (they would match every client).
  explicit Md5OnlyClients(std::vector<std::string> prefixes = {});

  // baresip sends "baresip v3.10.1 (x86_64/linux)"; libre applications that keep the library's
  // name send "libre ...". PJSIP-based clients (Jami, Linphone's belle-sip...) handle several
  // challenges and are not listed.
  static std::vector<std::string> default_prefixes() { return {"baresip", "libre"}; }

  // Allocates nothing: prefixes are lowercased once, at construction.
  bool matches(std::string_view user_agent) const;
  // Whether any User-Agent line of `request` matches; a request without one never does.
  bool matches(const sip::Message& request) const;

  bool empty() const { return lowercase_prefixes_.empty(); }

 private:
  std::vector<std::string> lowercase_prefixes_;
};

}  // namespace osprey::security
