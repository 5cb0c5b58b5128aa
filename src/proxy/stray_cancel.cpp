#include "proxy/stray_cancel.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace osprey::proxy {

namespace {

bool cancel_needs(sip::HeaderId id) {
  switch (id) {
    case sip::HeaderId::via:
    case sip::HeaderId::route:
    case sip::HeaderId::max_forwards:
    case sip::HeaderId::from:
    case sip::HeaderId::to:
    case sip::HeaderId::call_id:
    case sip::HeaderId::cseq:
    case sip::HeaderId::reason:
    case sip::HeaderId::content_length: return true;
    default: return false;
  }
}

// RFC 3326 §2: "Reason: SIP ;cause=200 ;text=..." names why; that fits in a line of a few dozen
// bytes. A folded or long one carries something else.
bool plain_reason(std::string_view value) {
  return value.size() <= kMaxReasonBytes && value.find_first_of("\r\n") == std::string_view::npos;
}

}  // namespace

void strip_stray_cancel(sip::Message& cancel) {
  std::vector<sip::HeaderId> known;
  std::vector<std::string> other;
  // One Reason per protocol (SIP, Q.850: RFC 3326 §2); more is not a reason.
  bool drop_reason = cancel.count(sip::HeaderId::reason) > 2;
  cancel.for_each_line(sip::HeaderId::reason, [&](std::string_view value) {
    drop_reason = drop_reason || !plain_reason(value);
    return true;
  });
  if (drop_reason) known.push_back(sip::HeaderId::reason);
  for (const sip::HeaderField& field : cancel.fields()) {
    if (field.removed() || cancel_needs(field.id)) continue;
    if (field.id == sip::HeaderId::other) {
      other.emplace_back(cancel.name(field));
    } else {
      known.push_back(field.id);
    }
  }
  for (sip::HeaderId id : known) cancel.remove_headers(id);
  for (const std::string& name : other) cancel.remove_headers(name);
  if (!cancel.body().empty()) cancel.set_body("");
}

}  // namespace osprey::proxy
