#include "txn/cancel_builder.hpp"

#include "sip/builder.hpp"
#include "txn/ack_builder.hpp"

namespace osprey::txn {

std::string build_cancel(const sip::Message& invite) {
  return build_in_invite_transaction("CANCEL", invite, std::nullopt);
}

std::optional<sip::Message> response_to_cancelled_invite(const sip::Message& cancel,
                                                         std::string_view to_tag) {
  auto response = sip::MessageBuilder::response_to(cancel, 487, {}, to_tag).build();
  if (!response || !cancel.cseq()) return std::nullopt;
  response->replace_header(sip::HeaderId::cseq, std::to_string(cancel.cseq()->number) + " INVITE");
  return std::move(*response);
}

}  // namespace osprey::txn
