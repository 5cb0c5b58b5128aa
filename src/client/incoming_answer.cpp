#include "client/incoming_answer.hpp"

#include "sip/builder.hpp"
#include "sip/validation.hpp"

namespace osprey::client {

IncomingAnswer answer_for(const sip::Message& request) {
  // §8.2.2: the UAS checks (Require, URI scheme...) before the method is looked at.
  if (auto rejection = sip::check_request(request, {sip::Role::uas, {}})) {
    return IncomingAnswer{rejection->status, rejection->reason, rejection->headers, false};
  }
  switch (request.method()) {
    case sip::Method::message: return IncomingAnswer{200, {}, {}, true};
    case sip::Method::options:
      // §11.2: what we implement, and (Accept) the bodies we show as text.
      return IncomingAnswer{200, {}, {{"Allow", std::string(kListenAllow)}, {"Accept", "text/plain"}}, false};
    default:
      // §8.2.1: a method we do not support; Allow lists the ones we do.
      return IncomingAnswer{405, {}, {{"Allow", std::string(kListenAllow)}}, false};
  }
}

sip::Result<sip::Message> build_answer(const sip::Message& request, const IncomingAnswer& answer,
                                       std::string_view to_tag) {
  auto builder = sip::MessageBuilder::response_to(request, answer.status, answer.reason, to_tag);
  for (const auto& [name, value] : answer.headers) builder.header(name, value);
  return builder.build();
}

}  // namespace osprey::client
