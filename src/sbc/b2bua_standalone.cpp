// Out-of-dialog requests other than INVITE toward a trunk (MESSAGE, RFC 3428: text to numbers
// behind a carrier): one transaction, no call. The request is built from scratch like a callee
// leg's INVITE (topology hiding), sent to the route's first trunk, and its final response
// mapped back onto the sender's server transaction with a To tag of osprey's own.
#include "sbc/b2bua.hpp"
#include "sbc/leg_request.hpp"
#include "sbc/trunk_routing.hpp"
#include "sip/builder.hpp"

namespace osprey::sbc {

bool B2bua::take_standalone(proxy::RequestContext& context, const RouteMatch& match) {
  const TrunkRoute& route = *match.route;
  const Trunk* trunk = nullptr;
  for (const std::string& name : route.trunks) {
    if ((trunk = trunk_set_->directory.by_name(name)) != nullptr) break;
  }
  if (trunk == nullptr) return false;
  auto peer = sip::parse_uri(trunk->peer);
  if (!peer) return false;
  // The trunk's calls_per_second holds for messages too (sbc/trunk_admission.hpp): a MESSAGE
  // flood must not reach a trunk whose calls are limited. A trunk its configuration's limits do
  // not know is refused (fail closed).
  if (const TrunkAdmissions* admissions = trunk_set_->controls.admissions.get()) {
    TrunkAdmission* admission = admissions->of(trunk->name);
    auto admitted =
        admission != nullptr
            ? admission->try_admit_request(TrunkAdmission::Clock::now())
            : tl::expected<void, TrunkAdmission::Refusal>(tl::unexpected(TrunkAdmission::Refusal{
                  TrunkAdmission::Limit::calls_per_second, TrunkAdmission::kConcurrentRetryAfterSeconds}));
    if (!admitted) {
      ++counters_.refused_by_limits;
      // RFC 3261 §21.5.4 with Retry-After, as a call refused by the trunk's limits.
      context.answer({503,
                      "Trunk Limit Reached",
                      {{"Retry-After", std::to_string(admitted.error().retry_after_seconds)}}});
      return true;
    }
  }
  // What the resolution needs later: the request (its response is built from it) and where
  // it goes. The server transaction waits; the request is the transaction's own and outlives
  // nothing here, so it is copied.
  auto request = std::make_shared<sip::Message>(context.request.clone());
  const txn::ServerTransactionId server = context.transaction;
  std::string number = match.number;
  resolve_(*peer, [this, request, server, trunk, set = trunk_set_,
                   number = std::move(number)](tl::expected<net::ResolvedTarget, std::string> resolved) {
    if (!resolved || resolved->hops.empty()) {
      answer(server, *request, 500, "Trunk Unreachable");
      return;
    }
    const net::ResolvedHop& hop = resolved->hops.front();
    Leg leg;
    leg.trunk = trunk;
    leg.call_id = tags_.hex(32);
    leg.local_tag = tags_.tag();
    leg.peer = txn::Target{.protocol = hop.protocol,
                           .destination = hop.endpoint,
                           .server_name = resolved->server_name,
                           .keep_udp = false,
                           .peer_flow = false};
    const auto local = transport_.sent_by(hop.protocol, hop.endpoint);
    leg.remote_target = trunk_request_uri(trunk->peer, number).value_or(std::string());
    leg.remote_uri = "<" + leg.remote_target + ">";
    leg.local_uri = "<sip:" + std::string(request->from()->uri.user) + "@" +
                    (local ? net::to_string(*local) : std::string("invalid")) + ">";
    auto builder = leg_request(leg, request->method_text(), 1, leg.local_tag, {}, false);
    copy_end_to_end(*request, builder);
    auto message = builder.build();
    std::optional<txn::ClientTransactionId> client;
    std::string sent_text;
    if (message && apply_rules_out(leg, *message)) {
      // Kept for one repeat with the trunk's credentials, as a call's INVITE (RFC 3261 §22.2).
      if (trunk->credentials) sent_text = message->serialize();
      client = table_.send_request(std::move(*message), leg.peer);
    }
    if (!client) {
      answer(server, *request, 500);
      return;
    }
    Pending pending{CallRef{}, server,  LegSide::caller, request->method(), request->clone(),     {},
                    {},        {},      nullptr,         nullptr,           std::move(sent_text), false,
                    1,         leg.peer};
    pending.standalone_tag = tags_.tag();
    pending.trunk = trunk;
    pending.trunk_set = set;
    pending_.emplace(key(*client), std::move(pending));
  });
  return true;
}

void B2bua::on_standalone_response(Pending& pending, const sip::Message& response) {
  const int status = response.status();
  Leg trunk_leg;
  trunk_leg.trunk = pending.trunk;
  std::optional<sip::Message> edited;
  const sip::Message* ruled = apply_rules_in(trunk_leg, response, edited);
  // A trunk's challenge is for osprey, never for the sender: unanswered, it reaches the sender
  // as 403, as for a call (b2bua_responses.cpp).
  const int sent_status = ruled == nullptr                 ? 500
                          : status == 503                  ? 500
                          : status == 401 || status == 407 ? 403
                                                           : status;
  auto builder = sip::MessageBuilder::response_to(
      *pending.request, sent_status, sent_status == status ? response.reason() : std::string_view{},
      pending.standalone_tag);
  if (ruled != nullptr) copy_end_to_end(*ruled, builder);
  table_.respond(pending.server, std::move(builder).serialize(), sent_status, pending.standalone_tag);
}

}  // namespace osprey::sbc
