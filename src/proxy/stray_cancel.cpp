#include "proxy/stray_cancel.hpp"

#include <string>
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

}  // namespace

void strip_stray_cancel(sip::Message& cancel) {
  std::vector<sip::HeaderId> known;
  std::vector<std::string> other;
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
