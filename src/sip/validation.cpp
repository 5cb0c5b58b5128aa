#include "sip/validation.hpp"

#include <array>
#include <cstdint>
#include <utility>

#include "sip/auth_headers.hpp"
#include "sip/char_class.hpp"
#include "sip/contact.hpp"
#include "sip/date_header.hpp"
#include "sip/diversion_headers.hpp"
#include "sip/event_headers.hpp"
#include "sip/identity_headers.hpp"
#include "sip/media_type.hpp"
#include "sip/numeric_headers.hpp"
#include "sip/product_headers.hpp"
#include "sip/referral_headers.hpp"
#include "sip/route.hpp"
#include "sip/token_list.hpp"
#include "sip/value_list.hpp"

namespace osprey::sip {
namespace {

LocalReply reject(int status, std::string reason) { return LocalReply{status, std::move(reason), {}}; }

bool is_supported(const RequestCheckOptions& options, std::string_view tag) {
  for (const std::string& s : options.supported)
    if (iequals(s, tag)) return true;
  return false;
}

// Collects the option tags of Require / Proxy-Require that this element does not support.
std::string unsupported_tags(const Message& request, HeaderId id, const RequestCheckOptions& options) {
  std::string list;
  request.for_each_element(id, [&](std::string_view tag) {
    if (!tag.empty() && !is_supported(options, tag)) {
      if (!list.empty()) list.append(", ");
      list.append(tag);
    }
    return true;
  });
  return list;
}

// Each element of a list header must parse on its own.
template <typename Parse>
Result<void> each_element(std::string_view value, std::string_view header, Parse&& parse) {
  Result<void> result;
  bool empty = false;
  for_each_list_element(value, [&](std::string_view element) {
    if (element.empty()) {
      empty = true;
      return false;
    }
    auto r = parse(element);
    if (!r) {
      result = tl::unexpected(r.error());
      return false;
    }
    return true;
  });
  if (empty)
    return make_error(ErrorCategory::header_syntax, "Empty element in " + std::string(header),
                      std::string(header));
  return result;
}

}  // namespace

bool is_defect(const LocalReply& reply) {
  return reply.status != 416 && reply.status != 420 && reply.status != 483;
}

std::optional<LocalReply> check_request(const Message& request, const RequestCheckOptions& options) {
  // RFC 3261 §8.2.2 / §16.3 step 1: the version first; an element cannot read other versions.
  if (!request.version_is_2_0()) return reject(505, "Version Not Supported");

  // §8.1.1: To, From, CSeq, Call-ID and Via are mandatory (Max-Forwards is added by a proxy
  // when missing, §16.6 step 3, so RFC 2543 requests without it are accepted: RFC 4475 §3.4.1).
  // One walk over the fields counts them all (twelve Message::count calls were 4 % of a REGISTER).
  std::array<std::uint8_t, static_cast<std::size_t>(HeaderId::count_)> seen{};
  for (const HeaderField& field : request.fields()) {
    auto& n = seen[static_cast<std::size_t>(field.id)];
    if (!field.removed() && n < 2) ++n;
  }
  const auto count = [&](HeaderId id) { return seen[static_cast<std::size_t>(id)]; };
  constexpr std::array<HeaderId, 5> kMandatory{HeaderId::via, HeaderId::to, HeaderId::from, HeaderId::call_id,
                                               HeaderId::cseq};
  for (HeaderId id : kMandatory) {
    if (count(id) == 0) return reject(400, "Missing " + std::string(canonical_name(id)) + " header");
  }
  // RFC 4475 §3.3.8: a second value of a single-valued header makes the request ambiguous.
  constexpr std::array<HeaderId, 7> kSingle{HeaderId::to,     HeaderId::from,         HeaderId::call_id,
                                            HeaderId::cseq,   HeaderId::max_forwards, HeaderId::content_type,
                                            HeaderId::expires};
  for (HeaderId id : kSingle) {
    if (count(id) > 1) return reject(400, "Multiple " + std::string(canonical_name(id)) + " headers");
  }

  // §8.1.1.5: the CSeq method matches the request method. For an unknown method the element
  // does not implement it anyway (RFC 4475 §3.1.2.18 prefers 501).
  if (request.cseq()->method_text != request.method_text()) {
    if (request.method() == Method::unknown) return reject(501, "Not Implemented");
    return reject(400, "CSeq method does not match the request method");
  }

  // §8.1.1.7: a branch that is only the magic cookie identifies no transaction (RFC 4475 §3.2.1).
  const Via& via = *request.top_via();
  if (via.has_branch && via.branch == kMagicCookie) {
    return reject(400, "Via branch carries no transaction identifier");
  }

  // §8.2.2.1 / §16.3 step 2: a scheme osprey cannot route (RFC 4475 §3.3.2, §3.3.3).
  const Uri& uri = request.request_uri();
  if (uri.scheme == UriScheme::other) return reject(416, "Unsupported URI Scheme");

  // §16.3 step 3: a proxy does not forward a request whose Max-Forwards is 0.
  if (options.role == Role::proxy && request.max_forwards() && *request.max_forwards() == 0) {
    return reject(483, "Too Many Hops");
  }

  // §8.2.2.3 (UAS: Require) / §16.3 step 5 (proxy: Proxy-Require); never for ACK and CANCEL.
  if (request.method() != Method::ack && request.method() != Method::cancel) {
    HeaderId id = options.role == Role::proxy ? HeaderId::proxy_require : HeaderId::require;
    std::string unsupported = unsupported_tags(request, id, options);
    if (!unsupported.empty()) {
      LocalReply r = reject(420, "Bad Extension");
      r.headers.emplace_back("Unsupported", std::move(unsupported));
      return r;
    }
  }
  return std::nullopt;
}

namespace {

// Drops the parsed value: validation only needs success or the error.
template <typename T>
Result<void> ok_or_error(const Result<T>& parsed) {
  if (!parsed) return tl::unexpected(parsed.error());
  return {};
}

}  // namespace

Result<void> validate_header(HeaderId id, std::string_view value) {
  std::string_view name = canonical_name(id);
  switch (id) {
    case HeaderId::via:
      // Via = "Via" HCOLON via-parm *(COMMA via-parm): at least one element.
      if (trim_lws(value).empty()) return make_error(ErrorCategory::header_syntax, "Empty Via", "Via");
      return each_element(value, name, [](std::string_view e) { return ok_or_error(parse_via(e)); });
    case HeaderId::from:
    case HeaderId::to: return ok_or_error(parse_name_addr(value, name));
    case HeaderId::contact: return ok_or_error(parse_contact(value));
    case HeaderId::route:
    case HeaderId::record_route:
    case HeaderId::path: return ok_or_error(parse_route_list(value, name));
    case HeaderId::allow:
    case HeaderId::supported:
    case HeaderId::require:
    case HeaderId::proxy_require:
    case HeaderId::unsupported:
    case HeaderId::allow_events:
    case HeaderId::content_encoding:
    case HeaderId::content_language:
    case HeaderId::accept_encoding:
    case HeaderId::accept_language: return check_token_list(value, name);
    case HeaderId::expires: return ok_or_error(parse_expires(value));
    case HeaderId::min_expires: return ok_or_error(parse_min_expires(value));
    case HeaderId::session_expires: return ok_or_error(parse_session_expires(value));
    case HeaderId::min_se: return ok_or_error(parse_min_se(value));
    case HeaderId::retry_after: return ok_or_error(parse_retry_after(value));
    case HeaderId::timestamp: return ok_or_error(parse_timestamp(value));
    case HeaderId::rseq: return ok_or_error(parse_rseq(value));
    case HeaderId::rack: return ok_or_error(parse_rack(value));
    case HeaderId::content_type: return ok_or_error(parse_content_type(value));
    case HeaderId::accept: return ok_or_error(parse_accept(value));
    case HeaderId::content_disposition: return ok_or_error(parse_content_disposition(value));
    case HeaderId::event: return ok_or_error(parse_event(value));
    case HeaderId::subscription_state: return ok_or_error(parse_subscription_state(value));
    case HeaderId::date: return ok_or_error(parse_date(value));
    case HeaderId::user_agent:
    case HeaderId::server: return ok_or_error(parse_server_values(value, name));
    case HeaderId::subject:
    case HeaderId::organization: return ok_or_error(parse_text_utf8(value, name));
    case HeaderId::authorization:
    case HeaderId::proxy_authorization: return ok_or_error(parse_credentials(value, name));
    case HeaderId::www_authenticate:
    case HeaderId::proxy_authenticate: return ok_or_error(parse_challenge(value, name));
    case HeaderId::p_asserted_identity:
    case HeaderId::p_preferred_identity:
      return each_element(
          value, name, [name](std::string_view e) { return ok_or_error(parse_asserted_identity(e, name)); });
    case HeaderId::privacy: return ok_or_error(parse_privacy(value));
    case HeaderId::reply_to: return ok_or_error(parse_reply_to(value));
    case HeaderId::identity: return ok_or_error(parse_identity(value));
    case HeaderId::diversion:
      return each_element(value, name, [](std::string_view e) { return ok_or_error(parse_diversion(e)); });
    case HeaderId::history_info:
      return each_element(value, name, [](std::string_view e) { return ok_or_error(parse_history_info(e)); });
    case HeaderId::reason:
      return each_element(value, name, [](std::string_view e) { return ok_or_error(parse_reason(e)); });
    case HeaderId::refer_to: return ok_or_error(parse_refer_to(value));
    case HeaderId::referred_by: return ok_or_error(parse_referred_by(value));
    case HeaderId::replaces: return ok_or_error(parse_replaces(value));
    default:
      // Call-ID, CSeq, Max-Forwards and Content-Length are checked while framing; headers
      // without a typed form here are kept byte-exact and never fail.
      return {};
  }
}

Result<void> validate_headers(const Message& message) {
  // The first Via element, From and To were parsed while framing: only what follows them
  // needs a check here.
  bool first_via = true;
  bool first_from = true;
  bool first_to = true;
  for (const HeaderField& field : message.fields()) {
    if (field.removed() || field.id == HeaderId::other) continue;
    std::string_view value = message.value(field);
    if (field.id == HeaderId::from && std::exchange(first_from, false) && !field.in_arena()) continue;
    if (field.id == HeaderId::to && std::exchange(first_to, false) && !field.in_arena()) continue;
    if (field.id == HeaderId::via && std::exchange(first_via, false) && !field.in_arena()) {
      // Skip the element parse_first_via already read: everything after its top-level comma.
      bool first = true;
      bool rest_ok = true;
      Result<void> rest;
      for_each_list_element(value, [&](std::string_view e) {
        if (std::exchange(first, false)) return true;
        rest = e.empty()
                   ? Result<void>(make_error(ErrorCategory::header_syntax, "Empty element in Via", "Via"))
                   : ok_or_error(parse_via(e));
        rest_ok = static_cast<bool>(rest);
        return rest_ok;
      });
      if (rest_ok) continue;
      ParseError e = std::move(rest.error());
      e.offset += field.value_begin;
      if (message.is_response()) e.server_status = 0;
      return tl::unexpected(std::move(e));
    }
    auto r = validate_header(field.id, value);
    if (!r) {
      ParseError e = std::move(r.error());
      e.offset += field.value_begin;
      if (e.header.empty()) e.header = std::string(canonical_name(field.id));
      if (message.is_response()) e.server_status = 0;
      return tl::unexpected(std::move(e));
    }
  }
  return {};
}

int Assessment::server_status() const {
  if (error) return error->server_status;
  if (rejection) return rejection->status;
  return 0;
}

Assessment assess(std::string bytes, const ParseOptions& parse_options,
                  const RequestCheckOptions& check_options) {
  Assessment a;
  auto parsed = Message::parse(std::move(bytes), parse_options);
  if (!parsed) {
    a.error = std::move(parsed.error());
    return a;
  }
  a.message = std::move(*parsed);
  auto headers = validate_headers(*a.message);
  if (!headers) {
    a.error = std::move(headers.error());
    return a;
  }
  if (a.message->is_request()) a.rejection = check_request(*a.message, check_options);
  return a;
}

}  // namespace osprey::sip
