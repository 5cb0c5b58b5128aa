#pragma once
// Proof that a dialog went through osprey's access control (issue #6). Requests inside a dialog
// (To tag) are not challenged: they follow the Route set their dialog-creating request earned.
// But a To tag and a Route are only text: an attacker could add both to a request toward a
// gateway. So the Record-Route URI osprey puts on a dialog-creating request it admitted carries
// a token, an HMAC of the dialog's Call-ID under a secret of this server (RFC 3261 §16.6 step 4
// lets a proxy put any parameter in its Record-Route URI, §12.1.1 has the UAs send it back in
// their Route). An in-dialog request is let through only with a valid token for its Call-ID.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "security/hmac_sha256.hpp"

namespace osprey::security {

class DialogToken {
 public:
  using Secret = std::array<std::uint8_t, 32>;
  // The Record-Route URI parameter that carries the token.
  static constexpr std::string_view kParam = "osp-dt";

  explicit DialogToken(const Secret& secret) : hmac_(secret) {}

  // 22 characters of base64url (128 bits of HMAC-SHA256 over the Call-ID).
  std::string sign(std::string_view call_id) const;
  // Constant-time comparison with sign(call_id).
  bool verify(std::string_view call_id, std::string_view token) const;

 private:
  HmacSha256 hmac_;
};

}  // namespace osprey::security
