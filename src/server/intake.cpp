#include "server/intake.hpp"

#include "sip/stateless_reply.hpp"
#include "sip/validation.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::server {

bool is_keepalive(std::string_view bytes) {
  return !bytes.empty() && bytes.find_first_not_of("\r\n") == std::string_view::npos;
}

Intake take_in(std::string_view bytes, const sip::ParseOptions& options, const net::Flow* arrival) {
  Intake intake;
  auto parsed = sip::Message::parse(std::string(bytes), options);
  if (!parsed) {
    const sip::ParseError& error = parsed.error();
    if (error.server_status == 0) {
      intake.dropped = "malformed response";
      return intake;
    }
    intake.reply = sip::stateless_reply(bytes, error.server_status, error.reason);
    if (intake.reply.empty()) intake.dropped = "malformed message without a readable Via";
    return intake;
  }
  sip::Message& message = *parsed;
  if (!message.is_request()) {
    // §18.1.2: a response whose top Via is unreadable cannot be matched to anything.
    if (!message.top_via() || !message.cseq()) {
      intake.dropped = "response without a readable Via or CSeq";
      return intake;
    }
    intake.message = std::move(message);
    return intake;
  }
  // The key headers first: a request that lacks them cannot enter a transaction, so it is
  // answered here, statelessly (§8.2: a UAS/proxy answers 400 for a malformed request).
  if (auto rejection = sip::check_request(message, {sip::Role::uas, {}});
      rejection && sip::is_defect(*rejection)) {
    if (!message.top_via()) {
      intake.dropped = "request without a readable Via";
      return intake;
    }
    if (message.method() == sip::Method::ack) {
      intake.dropped = "malformed ACK";  // §17.1.1.3: an ACK is never answered
      return intake;
    }
    if (arrival != nullptr) txn::stamp_received(message, *arrival);
    intake.reply = sip::serialize_reply(message, *rejection);
    return intake;
  }
  if (!message.top_via() || !message.cseq() || !message.call_id() || !message.from() || !message.to()) {
    intake.dropped = "request without its transaction key headers";
    return intake;
  }
  intake.message = std::move(message);
  return intake;
}

}  // namespace osprey::server
