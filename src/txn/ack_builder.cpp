#include "txn/ack_builder.hpp"

#include <string_view>

#include "sip/builder.hpp"

namespace osprey::txn {

std::string build_in_invite_transaction(std::string_view method, const sip::Message& invite,
                                        std::optional<std::string_view> to) {
  // §17.1.1.3, §9.1: the Request-URI is the one of the request being acknowledged or cancelled.
  sip::MessageBuilder request = sip::MessageBuilder::request(method, invite.request_uri().text);
  // §17.1.1.3, §9.1: exactly one Via, equal to the top Via of the original request, so the
  // server transaction matches it (§17.2.3, §9.2).
  if (invite.top_via()) request.header(sip::HeaderId::via, invite.top_via()->text);
  // §17.1.1.3, §9.1: Route headers as in the original request (it follows the INVITE's path).
  invite.for_each_line(sip::HeaderId::route, [&](std::string_view value) {
    request.header(sip::HeaderId::route, value);
    return true;
  });
  request.header(sip::HeaderId::max_forwards, "70");
  // From and Call-ID from the request; To as the caller says.
  if (auto from = invite.first_value(sip::HeaderId::from)) request.header(sip::HeaderId::from, *from);
  if (!to) to = invite.first_value(sip::HeaderId::to);
  if (to) request.header(sip::HeaderId::to, *to);
  if (invite.call_id()) request.header(sip::HeaderId::call_id, *invite.call_id());
  // The CSeq number of the request, with this method.
  if (invite.cseq())
    request.header(sip::HeaderId::cseq, std::to_string(invite.cseq()->number).append(" ").append(method));
  return std::move(request).serialize();  // the builder writes Content-Length: 0 for the empty body
}

std::string build_ack_for_failure(const sip::Message& invite, const sip::Message& response) {
  // §17.1.1.3: To from the response, with its tag.
  return build_in_invite_transaction("ACK", invite, response.first_value(sip::HeaderId::to));
}

}  // namespace osprey::txn
