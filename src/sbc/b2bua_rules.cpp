// The trunk's header rules (sbc/header_rules.hpp) on each message crossing the B2BUA: the
// `rules_in` of the trunk a message comes from, before anything of it is read for the other
// leg; the `rules_out` of the trunk a message goes to, on what osprey built for it.
#include "sbc/b2bua.hpp"

namespace osprey::sbc {

const sip::Message* B2bua::apply_rules_in(const Leg& from, const sip::Message& message,
                                          std::optional<sip::Message>& storage) {
  if (from.trunk == nullptr || !from.trunk->rules_in) return &message;
  sip::Message copy = message.clone();
  if (!from.trunk->rules_in->apply(copy)) return nullptr;
  if (!copy.edited()) {
    storage = std::move(copy);
    return &*storage;
  }
  // Edits leave the eagerly parsed fields stale: the copy is read from a fresh parse.
  auto current = copy.reparsed();
  if (!current) return nullptr;
  storage = std::move(*current);
  return &*storage;
}

bool B2bua::apply_rules_out(const Leg& to, sip::Message& message) {
  if (to.trunk == nullptr || !to.trunk->rules_out) return true;
  return static_cast<bool>(to.trunk->rules_out->apply(message));
}

bool B2bua::apply_rules_out(const Leg& to, std::string& text) {
  if (to.trunk == nullptr || !to.trunk->rules_out) return true;
  auto message = sip::Message::parse(text);
  if (!message || !to.trunk->rules_out->apply(*message)) return false;
  text = message->serialize();
  return true;
}

}  // namespace osprey::sbc
