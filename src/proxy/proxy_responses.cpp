// RFC 3261 §16.7: the responses to a forwarded request. Provisional ones go upstream at once,
// a 2xx at once and cancelling the other branches, other finals kept in the response context
// until every branch ended, then the best one (response_choice.hpp). §16.10: CANCEL.
#include "proxy/proxy_core.hpp"
#include "proxy/response_choice.hpp"
#include "proxy/response_context.hpp"
#include "txn/cancel_builder.hpp"

namespace osprey::proxy {

bool ProxyCore::on_response(txn::ClientTransactionId transaction, const sip::Message& response) {
  auto it = branches_.find(key_of(txn::ServerTransactionId{transaction.index, transaction.generation}));
  if (it == branches_.end()) {
    // RFC 6026 §7.3: the client INVITE transaction passes up every 2xx while Accepted: the
    // callee retransmits its 2xx until the ACK comes, and each one goes upstream (the first
    // may have been lost on the way to the caller, who then waits for a copy).
    if (forward_accepted_2xx(transaction, response)) return true;
    return forward_late_2xx(response);
  }
  const BranchRef ref = it->second;
  Context* context = find(ref.context);
  if (context == nullptr) {
    branches_.erase(it);
    forward_late_2xx(response);  // §16.7 step 5: a fork's 2xx after the request was answered
    return true;
  }
  const int status = response.status();
  if (ref.branch < context->branches.size()) context->branches[ref.branch].answered = true;
  if (status < 200) {
    // §16.7 step 5: 100 is never forwarded; any other provisional at once.
    if (status > 100 && !context->final_sent) forward_response(*context, response, ref.branch);
    return true;
  }
  branches_.erase(it);
  if (status == 503 && ref.branch < context->branches.size()) {
    // RFC 3263 §4.3: a 503 sends the request to the next address of the target (§21.5.4: that
    // one is overloaded or down for maintenance); the 503 is kept should none do better.
    remember_failed_hop(context->branches[ref.branch].sent_to, HopFailure::unavailable, &response);
    keep_if_best(*context, ref.branch, status, &response);
    if (retry_branch(ref.context, ref.branch, HopFailure::unavailable)) return true;
  }
  if (status >= 300 && status < 400 && recurse_on_redirect(*context, ref.branch, response)) {
    // §16.7 step 4: recursed on, the 3xx is not kept; its Contacts are tried once this group ends.
    Branch& state = context->branches[ref.branch];
    state.done = true;
    state.resolving = false;
    finish_if_done(ref.context);
    return true;
  }
  branch_ended(ref.context, ref.branch, status, &response);
  return true;
}

bool ProxyCore::recurse_on_redirect(Context& context, std::size_t branch, const sip::Message& response) {
  if (!context.may_recurse || context.cancelled || context.final_sent) return false;
  const std::size_t limit = services_.redirects.max_targets;
  const Branch& state = context.branches[branch];
  if (context.redirect_targets >= limit || state.redirect_depth >= RedirectSettings::kMaxDepth) return false;
  const RedirectRules rules{.identity = identity_,
                            .dial_policy = services_.dial_policy,
                            .caller = context.authenticated,
                            .tls_only = context.tls_only,
                            .room = limit - context.redirect_targets,
                            .depth = static_cast<std::uint8_t>(state.redirect_depth + 1),
                            .public_only = is_public_address(state.sent_to.destination.address),
                            .known = context.known_uris};
  std::vector<ForwardTarget> targets = redirect_targets(response, rules);
  if (targets.empty()) return false;
  context.redirect_targets += targets.size();
  counters_.redirect_targets_added += targets.size();
  for (const ForwardTarget& target : targets) context.known_uris.push_back(target.request_uri);
  // §16.5: tried right after the group that was redirected, before any lower-q one.
  context.groups.insert(context.groups.begin() + static_cast<std::ptrdiff_t>(context.next_group),
                        std::move(targets));
  return true;
}

bool ProxyCore::on_client_failure(txn::ClientTransactionId transaction, int status) {
  auto it = branches_.find(key_of(txn::ServerTransactionId{transaction.index, transaction.generation}));
  if (it == branches_.end()) return false;
  const BranchRef ref = it->second;
  branches_.erase(it);
  // The table reports a transport error as 503 (connection refused, reset or closed, TLS
  // handshake failed) and a timeout as 408; only the first is the network's doing. Reported
  // also when the branch is tried again (retry_branch): the operator sees every failed hop.
  // RFC 3263 §4.3: a timeout of a hop that never answered at all moves on to the next address
  // too (one that answered is alive: its request may be under way, so it is not sent twice).
  if (Context* context = find(ref.context); status == 408 && context != nullptr &&
                                            ref.branch < context->branches.size() &&
                                            !context->branches[ref.branch].answered) {
    remember_failed_hop(context->branches[ref.branch].sent_to, HopFailure::timeout, nullptr);
    if (retry_branch(ref.context, ref.branch, HopFailure::timeout)) return true;
  }
  if (Context* context = find(ref.context);
      status == 503 && context != nullptr && ref.branch < context->branches.size() &&
      context->branches[ref.branch].outbound_binding && !context->branches[ref.branch].moved_to_stream) {
    // RFC 5626 §5.3: the connection of an outbound binding closed before the answer: its flow
    // failed, and nothing else leads to it.
    report_transport_failure(*context, context->branches[ref.branch].sent_to,
                             "the registered flow closed before a final answer; the branch ends (430)");
    const auto binding = context->branches[ref.branch].outbound_binding;
    flow_failed(ref.context, ref.branch, binding.get());
    return true;
  }
  if (Context* context = find(ref.context);
      status == 503 && context != nullptr && ref.branch < context->branches.size()) {
    const txn::Target failed = context->branches[ref.branch].sent_to;
    remember_failed_hop(failed, HopFailure::transport, nullptr);
    const std::uint64_t over_udp = counters_.udp_after_stream_failure;
    const std::uint64_t next_address = counters_.next_address_after_failure;
    const bool retried = retry_branch(ref.context, ref.branch);
    const std::string_view next = !retried                                         ? "; the branch ends (503)"
                                  : counters_.udp_after_stream_failure != over_udp ? "; sent again over UDP"
                                  : counters_.next_address_after_failure != next_address
                                      ? "; sent to the target's next address"
                                      : "; sent to the binding's next hop";
    if (Context* still = find(ref.context)) {
      report_transport_failure(
          *still, failed,
          std::string("connection refused, reset or closed, or TLS failed, before a final answer")
              .append(next));
    }
    if (retried) return true;
  }
  // The stream the table chose for a large MESSAGE failed: UDP is no option (RFC 3428 §8).
  if (Context* context = find(ref.context);
      status == 503 && context != nullptr && context->outgoing_method == sip::Method::message &&
      context->request_bytes.size() + kViaAllowance > kUdpMessageLimit) {
    status = 513;
  }
  // The table reports a transport error as 503 (connection refused, reset or closed, TLS
  // handshake failed) and a timeout as 408; only the first is the network's doing.
  // §16.7 step 2 / §16.8: a timeout counts as a 408, a transport error as a 503.
  branch_ended(ref.context, ref.branch, status, nullptr);
  return true;
}

void ProxyCore::branch_ended(ContextKey key, std::size_t branch, int status, const sip::Message* response) {
  Context* context = find(key);
  if (context == nullptr || branch >= context->branches.size() || context->branches[branch].done) return;
  context->branches[branch].done = true;
  context->branches[branch].resolving = false;
  if (status >= 200 && status < 300 && response != nullptr) {
    // §16.7 step 5: every 2xx goes upstream at once (for INVITE each fork's, RFC 6026 §7.1);
    // §16.7 step 10: the other branches are cancelled.
    if (context->stored_id != 0) {
      // Stored by the delivery timeout, and delivered after all: the stored copy goes, so the
      // user does not get it twice.
      services_.offline->withdraw(context->stored_id);
      context->stored_id = 0;
    }
    if (!context->final_sent || context->invite) forward_response(*context, *response, branch);
    if (context->invite) remember_accepted(*context, branch);
    context->final_sent = true;
    cancel_pending(*context);
  } else {
    if (status >= 600) cancel_pending(*context);  // §16.7 step 10: a 6xx ends the search
    keep_if_best(*context, branch, status, response);
    // §16.7 step 10 ends the search at a 6xx by cancelling the other branches; a non-INVITE
    // cannot be cancelled (§9.1), and waiting for its silent branches would outlast the
    // client's Timer F (32 s): the user's decline goes upstream now.
    if (status >= 600 && !context->invite && !context->final_sent && response != nullptr) {
      context->final_sent = true;
      forward_response(*context, *response, branch);
    }
  }
  finish_if_done(key);
}

void ProxyCore::keep_if_best(Context& context, std::size_t branch, int status, const sip::Message* response) {
  if (response != nullptr && (status == 401 || status == 407))
    collect_challenges(context.challenges, branch, *response);
  if (context.final_sent || !better_final(context.invite, status, context.best_status)) return;
  // Equal ranks keep the first: a hop's 503 kept before its branch moved on stays, rather than
  // osprey's own 503 for a later hop of it that reached nobody.
  context.best_status = status;
  context.best_branch = branch;
  if (response != nullptr) {
    context.best = response->clone();
  } else {
    context.best.reset();
  }
}

bool ProxyCore::stays_unanswered(Context& context) {
  // RFC 4320 §4.2: "A transaction-stateful SIP element MUST NOT send a response with
  // Status-Code of 408 to a non-INVITE request." Every branch timed out (or answered 408): the
  // client's own Timer F ends its transaction; ours ends without a response.
  if (context.invite || context.best_status != 408) return false;
  context.final_sent = true;
  table_.abandon(context.server);
  ++counters_.timeouts_unanswered;
  return true;
}

void ProxyCore::cancel_pending(Context& context) {
  context.next_group = context.groups.size();  // no further targets
  if (!context.invite) return;                 // §9.1: only INVITE is cancelled
  std::vector<txn::ClientTransactionId> pending;
  for (Branch& branch : context.branches) {
    if (branch.done) continue;
    if (branch.client) {
      pending.push_back(*branch.client);
    } else if (branch.resolving) {
      branch.done = true;  // never sent: nothing to cancel
      branch.resolving = false;
    }
  }
  for (const auto& client : pending) table_.send_cancel(client);
}

void ProxyCore::finish_if_done(ContextKey key) {
  Context* context = find(key);
  if (context == nullptr) return;
  for (const Branch& branch : context->branches)
    if (!branch.done) return;
  if (!context->final_sent && !context->cancelled && context->next_group < context->groups.size()) {
    start_next_group(key);  // §16.6: the next q-value group
    return;
  }
  if (!context->final_sent && !offer_to_store(*context) && !stays_unanswered(*context)) send_final(*context);
  contexts_.erase(key);
}

void ProxyCore::send_final(Context& context) {
  context.final_sent = true;
  // RFC 5626 §5.3: along a Path of ours the request came from the proxy holding the binding,
  // which must learn the flow failed; 430 is for it (§11.5 keeps it from endpoints only).
  if (context.over_path_flow && context.best_status == 430 && !context.cancelled) {
    reject_original(context, 430, "Flow Failed");
    return;
  }
  const FinalAnswer answer = choose_final(context.cancelled, context.best.has_value(), context.best_status);
  if (!answer.forward_best) {
    reject_original(context, answer.status, answer.reason);
    return;
  }
  if (context.best_status == 401 || context.best_status == 407)
    add_other_challenges(*context.best, context.challenges, context.best_branch);
  forward_response(context, *context.best, context.best_branch);
}

void ProxyCore::forward_response(Context& context, const sip::Message& response, std::size_t branch) {
  // §16.7 step 3: our Via off the top; the table sends it where the request's Via says.
  sip::Message copy = response.clone();
  copy.remove_first_element(sip::HeaderId::via);
  // §16.7 step 4: our Record-Route value in a response that sets up the dialog carries the
  // caller's own token, bound to this callee.
  const int status = response.status();
  if (issuer_ && context.record_route && status > 100 && status < 300 && branch < context.branches.size())
    issuer_->give_caller_token(copy, context.dialog, context.branches[branch].places,
                               branch_flow(context.branches[branch]), clock_());
  if (response.status() >= 200) context.final_sent = true;
  table_.respond(context.server, copy);
}

void ProxyCore::on_cancel(txn::ServerTransactionId invite, const sip::Message& cancel) {
  const ContextKey key = key_of(invite);
  Context* context = find(key);
  if (context == nullptr) {
    // Nothing forwarded (or already over): the INVITE is simply terminated (§9.2).
    if (auto response = txn::response_to_cancelled_invite(cancel, new_tag_()))
      table_.respond(invite, *response);
    return;
  }
  // §16.10: CANCEL every pending branch; the 487 follows once they ended.
  context->cancelled = true;
  cancel_pending(*context);
  finish_if_done(key);
}

}  // namespace osprey::proxy
