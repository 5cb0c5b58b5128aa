#pragma once
// Toll-fraud defence: which telephone numbers an authenticated caller may dial.
// Scanners that find an account (or an open proxy) call premium-rate and international numbers
// through it, writing the international prefix every way a PBX dial plan might accept it:
// "+972...", "00972...", "011972...", "9011972..." (9 for an outside line, then 011). The policy
// denies international numbers unless a group the caller belongs to allows them, and denies
// premium ranges always.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "sip/uri.hpp"

namespace osprey::security {

// The number a Request-URI dials, normalised to an optional leading '+' and digits, or nullopt
// when the URI does not dial a telephone number:
// - tel: URIs (RFC 3966 §5.1), global or local (a local number is returned as dialled, without
//   its phone-context);
// - sip/sips URIs with user=phone (RFC 3261 §19.1.6), whose user part is a telephone-subscriber:
//   its own parameters (";isub=", ";postd=", ";phone-context=") are cut off;
// - sip/sips URIs whose (unescaped) user part looks like a number: an optional leading '+' and
//   at least 3 digits, nothing else. Shorter numbers are extensions ("sip:12@example.com"), and
//   gateways commonly receive numbers in this form without user=phone.
// Visual separators - . ( ) are removed (RFC 3966 §5.1.1); so are spaces, which RFC 3966 forbids
// in tel URIs but which clients put, escaped as %20, in SIP user parts. Service codes and DTMF
// letters (* # A-D) are not digits osprey can judge: such a URI gives nullopt.
std::optional<std::string> dialled_number(const sip::Uri& uri);

// A set of accounts with the number prefixes they may dial in addition to the defaults.
struct DialGroup {
  std::string name;
  std::vector<std::string> members;  // canonical AORs: "sip:alice@example.com"
  // Prefixes this group may dial. An allow prefix written with '+' also matches the same number
  // dialled through any international prefix: "+972" allows "00972...", "011972..." and
  // "9011972...". One written without '+' matches only numbers dialled that way ("011972").
  std::vector<std::string> allow;
};

// Prefixes are '+' and digits, '+' only first (create() refuses anything else).
struct DialPolicyConfig {
  // Numbers starting with one of these are international: denied unless an allow prefix of the
  // caller's groups matches. The defaults:
  // - "+": the E.164 form (RFC 3966 global-number);
  // - "00": the international prefix ITU-T E.164 recommends, used across most of the world;
  // - "011": the North American Numbering Plan's;
  // - "0011": Australia's (within "00" already, but listed so "+61" allows "001161...");
  // - "900", "9011", "90011": the same behind the outside-line 9 of PBX dial plans, which fraud
  //   attempts try because many gateways accept them.
  // "900" is a national freephone range in Spain: a Spanish deployment without an outside-line
  // 9 removes it. Other national international prefixes (Japan's "010") are left to the
  // configuration because they are ordinary area codes elsewhere.
  std::vector<std::string> international = {"+", "00", "011", "0011", "900", "9011", "90011"};
  // Always denied, even when an allow prefix matches: premium-rate ranges. The defaults are the
  // NANP's 1-900 pay-per-call range ("+1900", dialled "1900..." or "91900..." inside the NANP),
  // which is also Australia's premium range. Each country's own premium ranges ("0900" in
  // Germany, "09" in the UK) are ordinary numbers in other countries, so they are left to the
  // configuration. A prefix written with '+' also matches the number dialled through any
  // international prefix ("+1900" denies "0111900...").
  std::vector<std::string> deny = {"+1900", "1900", "91900"};
  std::vector<DialGroup> groups;
  // Numbers that are neither international nor denied. false denies them unless an allow prefix
  // matches; numeric extensions ("sip:1234@example.com") count as national numbers, so the
  // proxy asks the policy only about requests it does not deliver to a local user.
  bool allow_national = true;
};

struct DialDecision {
  bool allowed = false;
  // Why, for the log and the 403 reason: "international prefix 011 not allowed for
  // sip:alice@example.com", "denied prefix 1900", "allowed prefix +972 (group intl)".
  std::string reason;
};

// Matching, for a number n:
// 1. the longest international prefix n starts with, if any, makes n international; its E.164
//    form is '+' followed by what follows that prefix ("9011972..." -> "+972...");
// 2. a deny prefix matching n (or, with '+', its E.164 form) denies: deny always wins;
// 3. an allow prefix of the caller's groups matching n directly covers as many digits as it
//    has; one matching the E.164 form covers the international prefix plus its own digits after
//    the '+'. An international number is allowed when the longest allow match covers at least
//    the international prefix: allow "9" does not open "9011...", allow "+" or "011" opens
//    every number dialled with 011;
// 4. a national number is allowed when allow_national is set or an allow prefix matches.
class DialPolicy {
 public:
  // Takes the configuration as is; create() validates it first.
  explicit DialPolicy(DialPolicyConfig config);
  // Refuses empty prefixes, prefixes other than an optional leading '+' and digits, groups
  // without a name and members that are not account AORs (sip::account_aor: "sip:" user "@" host).
  static tl::expected<DialPolicy, std::string> create(DialPolicyConfig config);

  // Whether the caller `aor` (the canonical AOR it authenticated as) may dial `number` (as
  // dialled_number() gives it). The proxy asks after digest authentication: an unauthenticated
  // request is challenged, never checked, so an AOR in no group simply gets the defaults.
  DialDecision check(std::string_view aor, std::string_view number) const;

 private:
  struct Allowance {
    std::string prefix;
    std::string group;
  };

  DialPolicyConfig config_;
  std::map<std::string, std::vector<Allowance>, std::less<>> allowances_;  // by member AOR
};

}  // namespace osprey::security
