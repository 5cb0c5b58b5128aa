#pragma once
// A REGISTER read and checked against everything that depends on the request alone (RFC 3261
// §10.3 steps 1, 5, 6 and the per-contact expiration of step 7; RFC 3327 §5.3), before the
// AOR's current bindings are consulted. Steps 2-4 (Require, authentication, authorisation) are
// other stages of the pipeline.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "sip/local_reply.hpp"
#include "sip/message.hpp"
#include "store/binding.hpp"

namespace osprey::registrar {

struct RegistrarLimits {
  // RFC 3261 §10.3 step 7: a registrar MAY refuse intervals below its minimum (423) and MAY
  // shorten intervals above its maximum.
  std::uint32_t min_expires = 60;
  std::uint32_t max_expires = 3600;
  // §10.2.1.1 / §10.3 step 7: the interval when neither an expires parameter nor an Expires
  // header is present ("a locally-configured default value").
  std::uint32_t default_expires = 3600;
  // Not in the RFC: a bound on what one user can make the server store and fork to.
  std::uint32_t max_contacts_per_aor = 10;
  // RFC 3327 §5.3: a REGISTER with Path from a UA that did not say "Supported: path" SHOULD be
  // refused (420), so a proxy cannot make the UA reachable through a route it knows nothing of.
  // false: accept it, store the Path, and leave it out of the 200 (the UA would not understand it).
  bool require_path_support = true;
  // RFC 5626 §4.4.1, §6: the Flow-Timer of a 200 to an outbound registration made directly to
  // osprey (the seconds osprey is prepared to wait between keep-alives on that flow). The UA
  // sends its keep-alives at 80-100% of it. The defaults are the RFC's own for a UA told
  // nothing: every 95-120 s over a connection, every 24-29 s over UDP, where NAT bindings age
  // fastest.
  std::uint32_t flow_timer_stream = 120;
  std::uint32_t flow_timer_udp = 29;
};

// One Contact of the REGISTER, with the interval the registrar grants it.
struct RequestedContact {
  RequestedContact() = default;
  // {uri, q, expires}: a Contact without instance, as tests and hand-built requests write it.
  RequestedContact(std::string contact_uri, std::uint16_t contact_q, std::uint32_t granted_expires,
                   std::string contact_instance = {}, std::uint32_t contact_reg_id = 0)
      : uri(std::move(contact_uri)),
        q(contact_q),
        expires(granted_expires),
        instance(std::move(contact_instance)),
        reg_id(contact_reg_id) {}

  std::string uri;            // the Contact URI as written (no display name, no contact-params)
  std::uint16_t q = 1000;     // RFC 3261 §20.10 q-value in thousandths; 1000 when absent
  std::uint32_t expires = 0;  // granted seconds; 0 removes the binding
  // The Contact's "+sip.instance" in canonical form and its reg-id (0: none), or "" and 0 when
  // it has no valid one (registrar/contact_instance.hpp).
  std::string instance;
  std::uint32_t reg_id = 0;
  // RFC 5626 §6: the binding is bound to the flow the REGISTER came on (instance and reg-id,
  // registered directly over that flow by a UA that supports outbound): requests for it go
  // over that flow only.
  bool outbound = false;
};

// A REGISTER reduced to what the binding rules need. It owns its strings, so it may outlive the
// Message (LocationStore::update runs the decision later, under the AOR's lock).
struct RegisterRequest {
  std::string aor;  // canonical_aor(To URI)
  std::string call_id;
  std::uint32_t cseq = 0;
  // "Contact: *" with "Expires: 0": remove every binding (§10.3 step 6).
  bool star = false;
  std::vector<RequestedContact> contacts;
  // RFC 3327: the Path header field values, in order, each one path-value as written.
  std::vector<std::string> path;
  store::BindingSource source;  // where the request came from, given by the caller
  std::string user_agent;       // the User-Agent header value, for display
  // RFC 5626 §6: outbound processing applied (a Contact's reg-id was honoured): the 200 says
  // "Require: outbound", and, when osprey is the UA's first hop, gives a Flow-Timer.
  bool outbound = false;
  std::uint32_t flow_timer = 0;  // seconds; 0: no Flow-Timer

  // No Contact at all: the UA asks for the current bindings (§10.2.3, §10.3 step 6).
  bool is_query() const { return !star && contacts.empty(); }
};

// Reads `request` (a REGISTER) and applies the rules that need no bindings, in the order of
// RFC 3261 §10.3:
// - step 1: the Request-URI host must be served: otherwise 403 "Domain not served" (the RFC
//   lets a registrar that is also a proxy forward instead; that is the caller's choice, made
//   before calling this);
// - step 5: the To URI must be sip/sips with a user part (400 otherwise), valid for the domain
//   of the Request-URI: 404 otherwise ("If the address-of-record is not valid for the domain in
//   the Request-URI, the registrar MUST send a 404"). Valid: the same served domain, in any
//   spelling, or any served domain when the Request-URI is an IP address (the registrar's own:
//   a UA that puts the registrar's address in the Request-URI still registers; see
//   aor_valid_for_request_uri);
// - RFC 3327 §5.3: Path without "Supported: path" -> 420 (see RegistrarLimits);
// - RFC 5626 §6: a Contact's reg-id is honoured (outbound processing) only when the UA said
//   "Supported: outbound" and the flow reaches osprey: directly (one Via, osprey is the first
//   hop) or through an edge proxy whose Path URI carries "ob". Otherwise a reg-id is ignored,
//   or, when the UA asked for outbound and its first hop cannot give it, the REGISTER gets 439.
//   With outbound, more than one Contact with a non-zero interval among which one has a reg-id
//   is 400 (a reg-id registers one flow);
// - step 6: Contact must parse (400 "Malformed Contact..."); "*" only alone and only with
//   "Expires: 0" (400);
// - step 7: each contact's interval is its expires parameter, else the Expires header, else
//   limits.default_expires; an interval above 0, below one hour and below limits.min_expires
//   gets 423 with Min-Expires (§10.3 step 7, §20.23, §21.4.17); the granted interval is at most
//   limits.max_expires. Intervals above 2**32-1 count as 2**32-1 (§10.2.1 MAY).
// `source` is stored in the bindings as given.
tl::expected<RegisterRequest, sip::LocalReply> read_register(const sip::Message& request,
                                                             const std::vector<std::string>& domains,
                                                             const store::BindingSource& source,
                                                             const RegistrarLimits& limits);

}  // namespace osprey::registrar
