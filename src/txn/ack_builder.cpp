#include "txn/ack_builder.hpp"

#include <string_view>

#include "sip/builder.hpp"

namespace osprey::txn {

std::string build_ack_for_failure(const sip::Message& invite, const sip::Message& response) {
  // §17.1.1.3: the Request-URI is the one of the request being acknowledged.
  sip::MessageBuilder ack = sip::MessageBuilder::request("ACK", invite.request_uri().text);
  // §17.1.1.3: exactly one Via, equal to the top Via of the original request, so the server
  // transaction matches the ACK (§17.2.3).
  if (invite.top_via()) ack.header(sip::HeaderId::via, invite.top_via()->text);
  // §17.1.1.3: Route headers as in the original request (the ACK follows the INVITE's path).
  invite.for_each_line(sip::HeaderId::route, [&](std::string_view value) {
    ack.header(sip::HeaderId::route, value);
    return true;
  });
  ack.header(sip::HeaderId::max_forwards, "70");
  // §17.1.1.3: From and Call-ID from the request; To from the response, with its tag.
  if (auto from = invite.first_value(sip::HeaderId::from)) ack.header(sip::HeaderId::from, *from);
  auto to = response.first_value(sip::HeaderId::to);
  if (!to) to = invite.first_value(sip::HeaderId::to);
  if (to) ack.header(sip::HeaderId::to, *to);
  if (invite.call_id()) ack.header(sip::HeaderId::call_id, *invite.call_id());
  // §17.1.1.3: the CSeq number of the request, with method ACK.
  if (invite.cseq()) ack.header(sip::HeaderId::cseq, std::to_string(invite.cseq()->number) + " ACK");
  return std::move(ack).serialize();  // the builder writes Content-Length: 0 for the empty body
}

}  // namespace osprey::txn
