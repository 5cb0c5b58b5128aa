#include "im/message_rules.hpp"
#include "sip/char_class.hpp"

#include "im/end_to_end_headers.hpp"
#include "sip/builder.hpp"
#include "sip/date_header.hpp"
#include "sip/media_type.hpp"
#include "sip/name_addr.hpp"
#include "sip/params.hpp"

namespace osprey::im {

namespace {}  // namespace

std::optional<sip::LocalReply> check_message(const sip::Message& request, const ImLimits& limits) {
  if (request.body().size() > limits.max_body_bytes) {
    return sip::LocalReply{413, "Request Entity Too Large", {}};
  }
  return std::nullopt;
}

bool is_typing_notification(const sip::Message& request) {
  const auto type = sip::content_type(request);
  // A malformed Content-Type is no typing notification; the message is then stored as is.
  return type && *type && (*type)->is("application", "im-iscomposing+xml");
}

store::StoredMessage stored_from(const sip::Message& request, std::string_view aor, std::int64_t now) {
  store::StoredMessage message;
  message.aor = std::string(aor);
  message.from = std::string(request.first_value(sip::HeaderId::from).value_or(""));
  message.to = std::string(request.first_value(sip::HeaderId::to).value_or(""));
  message.content_type = std::string(request.first_value(sip::HeaderId::content_type).value_or(""));
  message.body = std::string(request.body());
  message.headers = end_to_end_headers(request);
  message.submitted_at = now;
  return message;
}

std::string without_tag(std::string_view to) {
  auto parsed = sip::parse_name_addr(to, "To");
  if (!parsed || parsed->params.empty()) return std::string(to);
  const std::size_t params_begin = static_cast<std::size_t>(parsed->params.data() - to.data());
  std::string result(to.substr(0, params_begin));
  sip::for_each_param(parsed->params, [&result](const sip::Param& param) {
    if (sip::iequals(param.name, "tag")) return true;
    result += ';';
    result += param.name;
    if (param.has_value) {
      result += '=';
      result += param.value;
    }
    return true;
  });
  result += to.substr(params_begin + parsed->params.size());
  return result;
}

sip::Result<sip::Message> delivery_request(const store::StoredMessage& message,
                                           const DeliveryAddress& address) {
  auto builder = sip::MessageBuilder::request("MESSAGE", address.request_uri);
  // RFC 3327 §5.3 / RFC 3261 §16.6 step 6: the Path of the binding becomes the route set.
  for (const std::string& route : address.routes) builder.header(sip::HeaderId::route, route);
  builder.header(sip::HeaderId::max_forwards, "70")
      .header(sip::HeaderId::from, message.from)
      .header(sip::HeaderId::to, without_tag(message.to))
      .header(sip::HeaderId::call_id, address.call_id)
      .header(sip::HeaderId::cseq, "1 MESSAGE")
      .header(sip::HeaderId::date, sip::format_date(message.submitted_at));
  // The sender's end-to-end headers, in their original order (RFC 3428 §7: the recipient gets
  // the message as it was sent; a Content-Encoding without its header would corrupt the body).
  for_each_stored_header(message.headers, [&builder](std::string_view name, std::string_view value) {
    builder.header(name, value);
  });
  // An empty stored Content-Type (a MESSAGE without a body, RFC 3428 §7 allows it) writes none.
  builder.body(message.content_type, message.body);
  return builder.build();
}

}  // namespace osprey::im
