// Transfer through the B2BUA (RFC 3515 REFER, RFC 3891 Replaces, RFC 5589): a REFER's Refer-To
// and a Replaces rewritten from one leg's terms to the other's (sbc/referral_mapping.hpp), with
// the dialogs of every worker's calls and the transfer tokens in the shared TransferIndex.
//
// An attended transfer's Replaces names one of three kinds of dialog, and the Refer-To sent on
// depends on which, and on who is at the other end of the leg the REFER goes to:
//  - a leg of a B2BUA call (any worker's), whose peer sent the REFER (§8): its other leg E is
//    what the transferee's INVITE must replace. Toward our user: E's user at osprey, with a
//    Replaces in E's user's terms (the proxy carries that INVITE to them). Toward a trunk: E's
//    own trunk's Contact with a Replaces in that trunk's terms (it resolves it at itself: no
//    trunk-to-trunk transit through osprey), or a token when E is one of our users.
//  - a dialog the proxy carries between two of our users (a consultation call): its Call-ID and
//    tags are the phones' own and must not reach a trunk; the trunk gets a token at osprey, and
//    its INVITE there is sent to the named user with the Replaces as the referrer wrote it (the
//    proxy changed nothing of that dialog: it is already in the target's terms).
#include "net/address_text.hpp"
#include "sbc/b2bua.hpp"
#include "sip/aor.hpp"
#include "sip/builder.hpp"
#include "sip/char_class.hpp"
#include "sip/uri_header_fields.hpp"

namespace osprey::sbc {

LegPeer B2bua::leg_peer(const Leg& leg) {
  // A trunk by name only (it may send from any of its addresses); our user by AOR and address.
  if (leg.trunk != nullptr) return LegPeer{leg.trunk->name, {}, {}};
  return LegPeer{{}, leg.user_aor, net::address_text(leg.peer.destination.address)};
}

void B2bua::index_call(const Call& call) {
  index_->add_call(DialogIds{call.caller.call_id, call.caller.local_tag, call.caller.remote_tag},
                   leg_peer(call.caller), call.caller.remote_target,
                   DialogIds{call.callee.call_id, call.callee.local_tag, call.callee.remote_tag},
                   leg_peer(call.callee), call.callee.remote_target);
}

void B2bua::unindex_call(const Call& call) {
  index_->remove_call(DialogIds{call.caller.call_id, call.caller.local_tag, call.caller.remote_tag},
                      DialogIds{call.callee.call_id, call.callee.local_tag, call.callee.remote_tag});
}

std::optional<IndexedLeg> B2bua::other_side_of(const DialogIds& dialog, const LegPeer& sender) const {
  // RFC 3891 §8: only a dialog whose peer is the sender (the same trunk, or the same user at the
  // same address) may be named, or anyone who learnt a Call-ID and two tags could have someone
  // else's call replaced. A stranger's guess and someone else's dialog look the same: absent.
  std::optional<IndexedLeg> found = index_->find(dialog);
  if (!found || found->peer != sender) return std::nullopt;
  return found;
}

std::optional<std::string> B2bua::at_osprey(const Leg& to, std::string_view user) {
  const std::size_t at = to.contact.find('@');
  if (at == std::string::npos) return std::nullopt;
  const std::size_t end = to.contact.find_first_of(";>", at);
  if (end == std::string::npos) return std::nullopt;
  return "sip:" + std::string(user) + "@" + to.contact.substr(at + 1, end - at - 1);
}

namespace {

// A user part that is only a user: RFC 3261 lets it hold ';', '?' and '/' (user-unreserved), so
// "sip:+1900;maddr=192.0.2.66@osprey" or "sip:x?Route=...@osprey" would be a legal transfer
// target at osprey that a lenient phone splits before the '@' and follows elsewhere. Parameters
// of a telephone-subscriber (RFC 3966 §3: phone-context, isub, postd, ext) are kept; anything
// else the referrer put there refuses the transfer.
bool plain_transfer_user(std::string_view user) {
  if (user.find_first_of("?/") != std::string_view::npos) return false;
  std::size_t semicolon = user.find(';');
  if (semicolon == 0) return false;
  while (semicolon != std::string_view::npos) {
    const std::size_t next = user.find(';', semicolon + 1);
    const std::string_view param =
        user.substr(semicolon + 1, next == std::string_view::npos ? next : next - semicolon - 1);
    const std::string_view name = param.substr(0, param.find('='));
    bool known = false;
    for (const std::string_view allowed : {"phone-context", "isub", "postd", "ext"})
      known = known || sip::iequals(name, allowed);
    if (!known) return false;
    semicolon = next;
  }
  return true;
}

}  // namespace

std::optional<std::string> B2bua::transfer_target(const Leg& to, const sip::Uri& requested) const {
  // The transferee is sent to osprey, never to the address the referrer named (topology
  // hiding): the user part at osprey's address on the transferee's leg, where the usual routing
  // (our users, the dialplan's trunk routes) takes the new call.
  if (!requested.is_sip() || !requested.has_user || requested.user.empty()) return std::nullopt;
  if (!plain_transfer_user(requested.user)) return std::nullopt;
  return at_osprey(to, requested.user);
}

sip::Result<std::optional<std::string>> B2bua::refer_to_for(std::string_view value, const Leg& to,
                                                            const Leg& from) {
  auto refer_to = sip::parse_refer_to(value);
  if (!refer_to) return tl::unexpected(std::move(refer_to.error()));
  const std::optional<std::string> embedded = sip::uri_header(refer_to->uri, "Replaces");
  const auto with = [](std::string uri, const std::string& replaces) {
    return std::optional<std::string>{"<" + uri +
                                      "?Replaces=" + sip::escape(replaces, sip::UriComponent::header) + ">"};
  };
  if (!embedded) {
    // A blind transfer: osprey's address with the target's user (the display name, parameters
    // and every URI header dropped: an embedded Route or From must not steer the transferee).
    std::optional<std::string> uri = transfer_target(to, refer_to->uri);
    if (!uri) return std::optional<std::string>{};
    return std::optional<std::string>{"<" + *uri + ">"};
  }
  auto replaces = sip::parse_replaces(*embedded);
  if (!replaces) return tl::unexpected(std::move(replaces.error()));
  const DialogIds named = dialog_named_by(*replaces);
  const LegPeer sender = leg_peer(from);
  // A token stands for the Replaces toward one of our users; only a trunk needs one.
  const auto token_for = [&](const std::string& user,
                             std::string replaces_value) -> std::optional<std::string> {
    if (to.trunk == nullptr || user.empty()) return std::nullopt;
    const std::string issuer = from.call_id + " " + from.local_tag;
    // The referrer is who sent the REFER: our user by AOR (from any address), else its address.
    const std::string referrer = sender.trunk + " " + (sender.user.empty() ? sender.address : sender.user);
    std::optional<std::string> token =
        index_->issue(issuer, referrer, TransferGrant{to.trunk->name, user, std::move(replaces_value)},
                      TransferIndex::Clock::now());
    if (!token) return std::nullopt;
    std::optional<std::string> uri = at_osprey(to, *token);
    if (!uri) return std::nullopt;
    return "<" + *uri + ">";
  };
  if (std::optional<IndexedLeg> found = index_->find(named)) {
    if (found->peer != sender) return std::optional<std::string>{};  // RFC 3891 §8
    const std::string mapped = format_replaces(peer_view(found->other), replaces->early_only);
    const LegPeer& other = found->other_peer;
    if (to.trunk != nullptr) {
      // The other leg is the same trunk's: the trunk calls its own Contact (a hairpin at the
      // carrier, never trunk to trunk through osprey). Another trunk's: no transit, refused.
      if (!other.trunk.empty()) {
        if (other.trunk != to.trunk->name || found->other_target.empty()) return std::optional<std::string>{};
        // Its Contact without URI headers of its own (one "?", the Replaces).
        return with(found->other_target.substr(0, found->other_target.find('?')), mapped);
      }
      return token_for(other.user, mapped);
    }
    // Toward our user: the other leg's user when it is ours (their phone matches the Replaces);
    // a trunk's number through osprey as for a blind transfer.
    std::optional<std::string> uri;
    if (other.trunk.empty()) {
      auto user_uri = sip::parse_uri(other.user);
      if (user_uri) uri = transfer_target(to, *user_uri);
    } else {
      uri = transfer_target(to, refer_to->uri);
    }
    if (!uri) return std::optional<std::string>{};
    return with(*uri, mapped);
  }
  // A dialog no B2BUA call holds: a consultation call the proxy carries between our phone (the
  // authenticated peer of the leg the REFER came on) and another of our users (the Refer-To's
  // target). Whatever else: refused, as passing it on would leak this side and could not work.
  if (from.trunk != nullptr || from.user_aor.empty() || to.trunk == nullptr)
    return std::optional<std::string>{};
  const sip::Uri& target = refer_to->uri;
  if (!target.is_sip() || !target.has_user || target.user.empty() || !identity_.serves_uri(target))
    return std::optional<std::string>{};
  if (users_.is_local_user && !users_.is_local_user(target)) return std::optional<std::string>{};
  // The phone could send this INVITE with Replaces through the proxy itself: the token lets it do
  // nothing more (RFC 3891 §6.1: the target judges the Replaces it receives).
  return token_for(sip::canonical_aor(target), format_replaces(named, replaces->early_only));
}

bool B2bua::map_referral(const sip::Message& request, sip::MessageBuilder& out, const Leg& to,
                         const Leg& from, int& refusal) {
  if (auto value = request.first_value(sip::HeaderId::refer_to)) {
    auto mapped = refer_to_for(*value, to, from);
    if (!mapped) {
      refusal = 400;
      return false;
    }
    if (!*mapped) {
      refusal = 403;  // RFC 3515 §2.4.2: unmapped, it would leak this side and could not work
      return false;
    }
    out.header(sip::HeaderId::refer_to, **mapped);
  }
  if (auto value = request.first_value(sip::HeaderId::replaces)) {
    const LegPeer sender = leg_peer(from);
    const DialogLookup lookup = [this, &sender](const DialogIds& dialog) -> std::optional<DialogIds> {
      if (auto found = other_side_of(dialog, sender)) return found->other;
      return std::nullopt;
    };
    auto mapped = map_replaces(*value, lookup);
    if (!mapped) {
      refusal = 400;
      return false;
    }
    if (!*mapped) {
      refusal = 481;  // RFC 3891 §3: no dialog matches
      return false;
    }
    out.header(sip::HeaderId::replaces, **mapped);
  }
  return true;
}

bool B2bua::inbound_target(proxy::RequestContext& context, const Trunk& trunk, std::string& aor,
                           std::string& replaces) {
  const sip::Message& request = context.request;
  const sip::Uri uri = *sip::parse_uri(context.route->request_uri);
  if (uri.has_user && uri.user.starts_with(kTransferUserPrefix) && identity_.is_ours(uri)) {
    // The second hop of a transfer to a dialog the proxy carries: the token, once, by the trunk
    // it was given to. The trunk's own Replaces, if any, names nothing of ours and is dropped.
    auto grant = index_->redeem(uri.user, trunk.name, TransferIndex::Clock::now());
    if (!grant) {
      context.answer(grant.error() == RedeemRefusal::foreign_trunk ? sip::LocalReply{403, "Forbidden", {}}
                                                                   : sip::LocalReply{404, "Not Found", {}});
      return false;
    }
    aor = std::move(grant->user);
    replaces = std::move(grant->replaces);
    return true;
  }
  aor = sip::canonical_aor(uri);
  if (auto value = request.first_value(sip::HeaderId::replaces)) {
    // RFC 3891 §3 through the B2BUA (sbc/referral_mapping.hpp): the trunk names its own dialog
    // with osprey; the user's phone gets the other leg of that call in its terms. A dialog that is
    // not this trunk's (§8) or not osprey's at all: 481, nothing passed on.
    auto parsed = sip::parse_replaces(*value);
    if (!parsed) {
      context.answer({400, "Malformed Replaces", {}});
      return false;
    }
    std::optional<IndexedLeg> found = other_side_of(dialog_named_by(*parsed), LegPeer{trunk.name, {}, {}});
    // The other leg must be the called user's own: anyone else would only learn its ids.
    if (!found || found->other_peer.user != aor) {
      context.answer({481, "Call/Transaction Does Not Exist", {}});
      return false;
    }
    replaces = format_replaces(peer_view(found->other), parsed->early_only);
  }
  return true;
}

}  // namespace osprey::sbc
