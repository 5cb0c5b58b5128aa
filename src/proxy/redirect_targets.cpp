#include "proxy/redirect_targets.hpp"

#include <algorithm>

#include "registrar/address_scope.hpp"
#include "sip/contact.hpp"

namespace osprey::proxy {

bool is_public_address(const boost::asio::ip::address& address) {
  const boost::asio::ip::address plain = net::unmapped(address);
  if (plain.is_loopback() || plain.is_multicast() || plain.is_unspecified()) return false;
  if (auto embedded = net::embedded_ipv4(plain); embedded && embedded->is_loopback()) return false;
  return !registrar::is_private_address(net::address_text(plain));
}

std::vector<ForwardTarget> redirect_targets(const sip::Message& response, const RedirectRules& rules) {
  std::vector<ForwardTarget> targets;
  auto list = sip::contacts(response);
  if (!list || list->star || rules.room == 0) return targets;
  std::vector<const sip::Contact*> ordered;
  for (const sip::Contact& contact : list->contacts) ordered.push_back(&contact);
  // §16.5: the Contacts' q-values order them, highest first (absent: 1.0).
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto* a, const auto* b) { return a->q.value_or(1000) > b->q.value_or(1000); });
  std::vector<std::string> added;
  for (const sip::Contact* contact : ordered) {
    if (targets.size() >= rules.room) break;
    const sip::Uri& uri = contact->address.uri;
    if (!uri.is_sip() || !uri.headers.empty()) continue;
    if (rules.tls_only && uri.scheme != sip::UriScheme::sips) continue;
    if (rules.identity.serves_uri(uri) || rules.identity.is_ours(uri)) continue;
    const std::string text(uri.text);
    if (std::find(rules.known.begin(), rules.known.end(), text) != rules.known.end() ||
        std::find(added.begin(), added.end(), text) != added.end())
      continue;
    bool number_cleared = false;
    if (auto number = security::dialled_number(uri)) {
      // As AccessControl::refused_number judged the request's own Request-URI.
      if (!rules.caller.empty() && rules.dial_policy != nullptr &&
          !rules.dial_policy->check(rules.caller, *number).allowed)
        continue;
      number_cleared = true;
    }
    ForwardTarget target = forward_target(text, text);
    if (auto literal = literal_target(uri)) target.destination = literal;
    target.redirect_depth = rules.depth;
    // Unjudged callers (trusted peers, no authentication) were never held off the gateway.
    target.redirect_may_reach_gateway = rules.caller.empty() || number_cleared;
    target.public_only = rules.public_only;
    added.push_back(text);
    targets.push_back(std::move(target));
  }
  return targets;
}

}  // namespace osprey::proxy
