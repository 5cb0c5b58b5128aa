#include "registrar/register_request.hpp"

#include <algorithm>
#include <optional>

#include "registrar/aor.hpp"
#include "registrar/contact_instance.hpp"
#include "sip/aor.hpp"
#include "sip/contact.hpp"
#include "sip/numeric_headers.hpp"
#include "sip/route.hpp"
#include "sip/token_list.hpp"

namespace osprey::registrar {

namespace {

// What a registrar answers instead of 200 (e.g. 423 with Min-Expires).
tl::unexpected<sip::LocalReply> refuse(int status, std::string reason,
                                       std::vector<std::pair<std::string, std::string>> headers = {}) {
  return tl::unexpected(sip::LocalReply{status, std::move(reason), std::move(headers)});
}

// RFC 3261 §10.3 step 7: "If and only if the requested expiration interval is greater than zero
// AND smaller than one hour AND less than a registrar-configured minimum, the registrar MAY
// reject the registration with a response of 423". So a minimum configured above one hour
// never refuses an interval of an hour or more.
constexpr std::uint32_t kOneHour = 3600;
bool too_brief(std::uint32_t requested, const RegistrarLimits& limits) {
  return requested > 0 && requested < kOneHour && requested < limits.min_expires;
}

bool supports(const sip::Message& request, std::string_view option_tag) {
  auto supported = sip::token_list(request, sip::HeaderId::supported);
  return supported && sip::contains_token(*supported, option_tag);
}

bool supports_path(const sip::Message& request) { return supports(request, "path"); }

// RFC 5626 §6: "the registrar MUST check from its Via header field if the registrar is the
// first hop or not": one Via, the UA's own, means the REGISTER came straight over its flow.
bool first_hop(const sip::Message& request) {
  std::size_t vias = 0;
  request.for_each_element(sip::HeaderId::via, [&vias](std::string_view) {
    ++vias;
    return vias < 2;
  });
  return vias == 1;
}

// RFC 5626 §5.1: an edge proxy that keeps the flow marks its Path URI with "ob".
bool edge_keeps_flow(const std::vector<sip::NameAddr>& path) {
  return !path.empty() && path.front().uri.has_param("ob");
}

// How RFC 5626 §6 treats the reg-ids of this REGISTER.
enum class RegIds : std::uint8_t { honoured, ignored, refused };

RegIds reg_id_treatment(const sip::Message& request, const std::vector<sip::NameAddr>& path) {
  const bool outbound_possible = path.empty() ? first_hop(request) : edge_keeps_flow(path);
  const bool asked = supports(request, "outbound");
  if (outbound_possible && asked) return RegIds::honoured;
  // "if the REGISTER request contains the reg-id and the outbound option tag in a Supported
  // header field, then the registrar MUST respond ... with a 439 ... otherwise, the registrar
  // MUST ignore the "reg-id" parameter". Without the option tag the UA does not do outbound
  // (§4.2): its reg-id is ignored here too, and no Require: outbound is sent to a UA that did
  // not say it supports it (RFC 3261 §8.2.2.3 spirit).
  if (!outbound_possible && asked) return RegIds::refused;
  return RegIds::ignored;
}

std::uint32_t flow_timer_for(net::Protocol protocol, const RegistrarLimits& limits) {
  return net::is_reliable(protocol) ? limits.flow_timer_stream : limits.flow_timer_udp;
}

}  // namespace

tl::expected<RegisterRequest, sip::LocalReply> read_register(const sip::Message& request,
                                                             const std::vector<std::string>& domains,
                                                             const store::BindingSource& source,
                                                             const RegistrarLimits& limits) {
  if (!request.is_request() || request.method() != sip::Method::register_) {
    return refuse(400, "Not a REGISTER request");
  }
  if (!request.call_id()) return refuse(400, "Missing Call-ID");
  if (!request.cseq()) return refuse(400, "Missing CSeq");
  if (!request.to()) return refuse(400, "Missing To");

  // §10.3 step 1: does this registrar hold bindings for the Request-URI's domain?
  const sip::Uri& request_uri = request.request_uri();
  if (!registers_for(request_uri, domains)) {
    return refuse(403, "Domain not served");
  }

  // §10.3 step 5: the AOR is the To URI; it names a user of a domain served here.
  const sip::Uri& to = request.to()->uri;
  if (!to.is_sip() || !to.has_user || to.user.empty()) {
    return refuse(400, "To is not a SIP address-of-record with a user");
  }
  if (!aor_valid_for_request_uri(to, request_uri, domains)) return refuse(404, "Not Found");
  // RFC 5630 §4.1, RFC 3261 §26.2.2: a sips: registration is made over TLS; a binding for a
  // sips: AOR registered in the clear is one no sips: request could use.
  const bool secure_source = net::is_secure(source.protocol);
  if ((request_uri.scheme == sip::UriScheme::sips || to.scheme == sip::UriScheme::sips) && !secure_source) {
    return refuse(403, "sips: requires TLS");
  }

  RegisterRequest result;
  result.aor = sip::canonical_aor(to);
  result.call_id = std::string(*request.call_id());
  result.cseq = request.cseq()->number;
  result.source = source;
  if (auto agent = request.first_value(sip::HeaderId::user_agent)) result.user_agent = std::string(*agent);

  // RFC 3327 §5.3: Path is only used for a UA that says it understands it.
  auto path = sip::routes(request, sip::HeaderId::path);
  if (!path) return refuse(400, path.error().reason);
  if (!path->empty() && limits.require_path_support && !supports_path(request)) {
    // RFC 3261 §20.40: every 420 lists the option tags at fault in Unsupported; here that is
    // the UA's side of "path" (as Kamailio's registrar answers in its strict path mode).
    return refuse(420, "Path requires Supported: path", {{"Unsupported", "path"}});
  }
  for (const sip::NameAddr& value : *path) result.path.emplace_back(value.text);
  const RegIds reg_ids = reg_id_treatment(request, *path);

  // §10.2.1: values above 2**32-1 MAY be treated as 2**32-1; they are capped below anyway.
  auto expires_header = sip::expires(request, sip::Overlarge::saturate);
  if (!expires_header) return refuse(400, expires_header.error().reason);
  auto contacts = sip::contacts(request, sip::ContactOptions{sip::Overlarge::saturate});
  // The parser's reason names the header and the defect ("Malformed Contact: ...").
  if (!contacts) return refuse(400, contacts.error().reason);

  // §10.3 step 6: "*" removes every binding, and means nothing with any other value or interval.
  // (sip::contacts already refuses "*" beside other contacts.)
  if (contacts->star) {
    if (!*expires_header || **expires_header != 0) return refuse(400, "Contact '*' requires Expires: 0");
    result.star = true;
    return result;
  }

  for (const sip::Contact& contact : contacts->contacts) {
    // §10.3 step 7: the expires parameter, else the Expires header, else the local default.
    std::optional<std::uint32_t> requested = contact.expires;
    if (!requested) requested = *expires_header;
    if (requested && too_brief(*requested, limits)) {
      return refuse(423, "Interval Too Brief", {{"Min-Expires", std::to_string(limits.min_expires)}});
    }
    RequestedContact wanted;
    wanted.uri = std::string(contact.address.uri.text);
    wanted.q = contact.q.value_or(1000);
    // §10.3 step 7: the registrar MAY shorten the interval; it never lengthens one.
    wanted.expires = std::min(requested.value_or(limits.default_expires), limits.max_expires);
    if (auto device = contact_instance(contact)) {
      wanted.instance = std::move(device->instance);
      // RFC 5626 §6: a reg-id without an instance was never read (contact_instance); one the
      // rules above do not honour is ignored: the Contact is the device's instance alone.
      if (device->reg_id != 0) {
        if (reg_ids == RegIds::refused) return refuse(439, "First Hop Lacks Outbound Support");
        if (reg_ids == RegIds::honoured) {
          wanted.reg_id = device->reg_id;
          // Bound to the flow only when it is osprey's own; through an edge proxy the Path
          // leads to the flow (§5.1), and the binding is routed by it.
          wanted.outbound = path->empty();
          result.outbound = true;
        }
      }
    }
    result.contacts.push_back(std::move(wanted));
  }
  if (result.outbound) {
    // RFC 5626 §6: "if the Contact header field contains more than one header field value with
    // a non-zero expiration and any of these header field values contain a "reg-id" Contact
    // header field parameter, the entire registration SHOULD be rejected with a 400".
    const auto& wanted = result.contacts;
    const auto registering =
        std::count_if(wanted.begin(), wanted.end(), [](const RequestedContact& c) { return c.expires > 0; });
    const bool flow_registered = std::any_of(wanted.begin(), wanted.end(), [](const RequestedContact& c) {
      return c.expires > 0 && c.reg_id != 0;
    });
    if (registering > 1 && flow_registered) return refuse(400, "A reg-id registers one Contact");
    // §4.4.1: the keep-alive interval is the first hop's to give.
    if (path->empty()) result.flow_timer = flow_timer_for(source.protocol, limits);
  }
  return result;
}

}  // namespace osprey::registrar
