#include "registrar/registrar_rules.hpp"

#include "sip/uri.hpp"

namespace osprey::registrar {

namespace {

Decision refused(int status, std::string reason) {
  Decision decision;
  decision.refusal = sip::LocalReply{status, std::move(reason), {}};
  return decision;
}

Decision out_of_order() { return refused(500, "Out of order CSeq"); }

// §10.3 step 7: "If they are the same, the registrar compares the CSeq value. If the value is
// higher than that of the existing binding, it MUST update or remove the binding ... If not, the
// update MUST be aborted and the request fails."
bool in_order(const RegisterRequest& request, const store::Binding& binding) {
  return binding.call_id != request.call_id || request.cseq > binding.cseq;
}

// §10.3 step 7: a Contact URI matches a binding when the URIs are equivalent (§19.1.4).
bool same_contact(const sip::Uri& wanted, const store::Binding& binding) {
  auto stored = sip::parse_uri(binding.contact);
  return stored && sip::uri_equivalent(wanted, *stored);
}

// RFC 5626 §6: a Contact with an instance names the binding of that device: the one with the
// same instance-id and, when the Contact has a reg-id, the same reg-id (one binding per flow of
// the device); without a reg-id the instance alone (RFC 5627 ties one device to one AOR by its
// instance-id). Only ever among the bindings of the one AOR being registered.
bool same_device(const RequestedContact& contact, const store::Binding& binding) {
  if (contact.instance.empty() || binding.instance != contact.instance) return false;
  return contact.reg_id == 0 || binding.reg_id == contact.reg_id;
}

// Whether a Contact may match `binding` by URI (§10.3 step 7): a Contact without an instance
// matches any; one with an instance only a binding made without one (by this UA before it sent
// its instance, or by an osprey that did not keep it), never another device's binding that
// happens to share the URI (RFC 5626 §6: two flows of one device may well have the same URI).
bool matchable_by_uri(const RequestedContact& contact, const store::Binding& binding) {
  return contact.instance.empty() || binding.instance.empty();
}

store::Binding make_binding(const RegisterRequest& request, const RequestedContact& contact,
                            std::int64_t now) {
  store::Binding binding;
  binding.aor = request.aor;
  binding.contact = contact.uri;
  binding.q = contact.q;
  binding.expires_at = now + static_cast<std::int64_t>(contact.expires);
  binding.call_id = request.call_id;
  binding.cseq = request.cseq;
  binding.path = request.path;
  binding.source = request.source;
  binding.user_agent = request.user_agent;
  binding.instance = contact.instance;
  binding.reg_id = contact.reg_id;
  binding.outbound = contact.outbound;
  return binding;
}

// One slot per live binding, then per binding this request adds. An original binding is
// checked for CSeq order and copied into the result only if the request leaves it as it is;
// once this request has rewritten a slot, a later contact for it simply overwrites it.
struct Slot {
  const store::Binding* original = nullptr;  // as stored; null for a binding this request adds
  store::Binding written;                    // this request's version, once `rewritten`
  bool rewritten = false;
  bool touched = false;
  bool removed = false;
  const store::Binding& binding() const { return rewritten ? written : *original; }
};

// §10.3 step 6: a REGISTER without Contact is a query: the live bindings, unchanged.
Decision live_bindings(const std::vector<store::Binding>& current, std::int64_t now) {
  Decision decision;
  for (const store::Binding& binding : current) {
    if (binding.expires_at > now) decision.queried.push_back(binding);
  }
  return decision;
}

// §10.3 step 6: "if the Call-ID agrees ... it MUST remove the binding only if the CSeq in the
// request is higher than the value stored for that binding. Otherwise, the update MUST be
// aborted and the request fails."
Decision remove_all(const RegisterRequest& request, const std::vector<store::Binding>& current,
                    std::int64_t now) {
  for (const store::Binding& binding : current) {
    if (binding.expires_at > now && !in_order(request, binding)) return out_of_order();
  }
  Decision decision;
  decision.new_set.emplace();
  return decision;
}

// The slot `contact` names, or null. The device first (RFC 5626 §6), then the URI (§10.3 step
// 7). The same text is the same URI, which is what a refresh nearly always sends: URIs are
// parsed for §19.1.4 equivalence only when no binding has the contact's exact text.
Slot* matching_slot(const RequestedContact& contact, std::vector<Slot>& slots) {
  if (!contact.instance.empty()) {
    for (Slot& slot : slots) {
      if (same_device(contact, slot.binding())) return &slot;
    }
  }
  for (Slot& slot : slots) {
    if (slot.binding().contact == contact.uri && matchable_by_uri(contact, slot.binding())) return &slot;
  }
  if (slots.empty()) return nullptr;
  auto wanted = sip::parse_uri(contact.uri);
  if (!wanted) return nullptr;
  for (Slot& slot : slots) {
    if (matchable_by_uri(contact, slot.binding()) && same_contact(*wanted, slot.binding())) return &slot;
  }
  return nullptr;
}

// §10.3 step 7 for one Contact: adds, refreshes or removes its binding. False when the request
// is out of CSeq order for the binding it names (the whole update is then aborted).
bool apply_contact(const RegisterRequest& request, const RequestedContact& contact, std::int64_t now,
                   std::vector<Slot>& slots) {
  Slot* match = matching_slot(contact, slots);
  if (match == nullptr) {
    if (contact.expires == 0) return true;  // removing what is not there changes nothing
    slots.push_back(Slot{nullptr, make_binding(request, contact, now), true, true, false});
    return true;
  }
  if (match->original != nullptr && !match->touched && !in_order(request, *match->original)) return false;
  match->touched = true;
  match->removed = contact.expires == 0;
  if (!match->removed) {
    match->written = make_binding(request, contact, now);
    match->rewritten = true;
  }
  return true;
}

// The binding set the slots leave, refused when it grows past the per-AOR limit.
Decision new_binding_set(std::vector<Slot>& slots, const RegistrarLimits& limits) {
  std::vector<store::Binding> result;
  result.reserve(slots.size());
  bool adds = false;
  for (Slot& slot : slots) {
    if (slot.removed) continue;
    adds = adds || slot.original == nullptr;
    // Not `?:`: with a const and a non-const operand it yields a const prvalue, which push_back
    // would copy instead of move.
    if (slot.rewritten) {
      result.push_back(std::move(slot.written));
    } else {
      result.push_back(*slot.original);
    }
  }
  if (adds && result.size() > limits.max_contacts_per_aor) return refused(403, "Too many registrations");
  Decision decision;
  decision.new_set = std::move(result);
  return decision;
}

}  // namespace

Decision decide(const RegisterRequest& request, const std::vector<store::Binding>& current, std::int64_t now,
                const RegistrarLimits& limits) {
  if (request.is_query()) return live_bindings(current, now);
  if (request.star) return remove_all(request, current, now);

  std::vector<Slot> slots;
  slots.reserve(current.size() + request.contacts.size());
  for (const store::Binding& binding : current) {
    if (binding.expires_at > now) slots.push_back(Slot{&binding, {}, false, false, false});
  }
  for (const RequestedContact& contact : request.contacts) {
    if (!apply_contact(request, contact, now, slots)) return out_of_order();
  }
  return new_binding_set(slots, limits);
}

}  // namespace osprey::registrar
