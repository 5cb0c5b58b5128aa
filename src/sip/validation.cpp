#include "sip/validation.hpp"

#include <array>

#include "sip/char_class.hpp"
#include "sip/value_list.hpp"

namespace osprey::sip {
namespace {

Rejection reject(int status, std::string reason, bool defect = true) {
  Rejection r;
  r.status = status;
  r.reason = std::move(reason);
  r.defect = defect;
  return r;
}

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

std::optional<Rejection> check_request(const Message& request, const RequestCheckOptions& options) {
  // RFC 3261 §8.2.2 / §16.3 step 1: the version first; an element cannot read other versions.
  if (!request.version_is_2_0()) return reject(505, "Version Not Supported");

  // §8.1.1: To, From, CSeq, Call-ID and Via are mandatory (Max-Forwards is added by a proxy
  // when missing, §16.6 step 3, so RFC 2543 requests without it are accepted: RFC 4475 §3.4.1).
  constexpr std::array<HeaderId, 5> kMandatory{HeaderId::via, HeaderId::to, HeaderId::from, HeaderId::call_id,
                                               HeaderId::cseq};
  for (HeaderId id : kMandatory) {
    if (request.count(id) == 0) return reject(400, "Missing " + std::string(canonical_name(id)) + " header");
  }
  // RFC 4475 §3.3.8: a second value of a single-valued header makes the request ambiguous.
  constexpr std::array<HeaderId, 7> kSingle{HeaderId::to,     HeaderId::from,         HeaderId::call_id,
                                            HeaderId::cseq,   HeaderId::max_forwards, HeaderId::content_type,
                                            HeaderId::expires};
  for (HeaderId id : kSingle) {
    if (request.count(id) > 1) return reject(400, "Multiple " + std::string(canonical_name(id)) + " headers");
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
  if (uri.scheme == UriScheme::other) return reject(416, "Unsupported URI Scheme", false);

  // §16.3 step 3: a proxy does not forward a request whose Max-Forwards is 0.
  if (options.role == Role::proxy && request.max_forwards() && *request.max_forwards() == 0) {
    return reject(483, "Too Many Hops", false);
  }

  // §8.2.2.3 (UAS: Require) / §16.3 step 5 (proxy: Proxy-Require); never for ACK and CANCEL.
  if (request.method() != Method::ack && request.method() != Method::cancel) {
    HeaderId id = options.role == Role::proxy ? HeaderId::proxy_require : HeaderId::require;
    std::string unsupported = unsupported_tags(request, id, options);
    if (!unsupported.empty()) {
      Rejection r = reject(420, "Bad Extension", false);
      r.headers.emplace_back("Unsupported", std::move(unsupported));
      return r;
    }
  }
  return std::nullopt;
}

Result<void> validate_header(HeaderId id, std::string_view value) {
  switch (id) {
    case HeaderId::via:
      return each_element(value, "Via", [](std::string_view e) -> Result<void> {
        auto v = parse_via(e);
        if (!v) return tl::unexpected(v.error());
        return {};
      });
    case HeaderId::from:
    case HeaderId::to: {
      auto na = parse_name_addr(value, canonical_name(id));
      if (!na) return tl::unexpected(na.error());
      return {};
    }
    default: return {};
  }
}

Result<void> validate_headers(const Message& message) {
  for (const HeaderField& field : message.fields()) {
    if (field.removed() || field.id == HeaderId::other) continue;
    auto r = validate_header(field.id, message.value(field));
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
