#pragma once
// The branches of INVITEs that were answered 2xx, remembered for as long as their client
// transaction stays Accepted (RFC 6026 §8.4, Timer M = 64*T1), so that every further 2xx they
// pass up (the callee's retransmissions, or the 2xx of other forks behind a downstream
// forking proxy, RFC 3261 §16.7 step 5) goes upstream through the INVITE's server transaction,
// itself Accepted for Timer L (RFC 6026 §7.1). Through the server transaction, the 2xx goes the
// caller's way whatever its transport: the TCP or TLS connection the INVITE came on included,
// which the stateless path along the Vias cannot safely use.
//
// Entries expire in the order they were added: a queue of (expiry, key) prunes them as new ones
// come, without a timer.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "proxy/dialog_token_issuer.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::proxy {

struct AcceptedBranch {
  txn::ServerTransactionId server;
  bool record_route = false;
  DialogTokenIssuer::Dialog dialog;  // the caller's token in each 2xx (§16.7 step 4)
  std::vector<std::string> places;
  std::optional<security::DialogFlow> flow;  // the callee's flow, for the caller's token
};

class AcceptedBranches {
 public:
  // `lifetime`: seconds an entry is kept (at least Timer M).
  explicit AcceptedBranches(std::int64_t lifetime) : lifetime_(lifetime) {}

  void remember(std::uint64_t client_key, AcceptedBranch branch, std::int64_t now);
  // Null when unknown or expired.
  const AcceptedBranch* find(std::uint64_t client_key, std::int64_t now);
  std::size_t size() const { return branches_.size(); }

 private:
  void prune(std::int64_t now);

  std::int64_t lifetime_;
  std::unordered_map<std::uint64_t, std::pair<std::int64_t, AcceptedBranch>> branches_;
  std::deque<std::pair<std::int64_t, std::uint64_t>> expiries_;
};

}  // namespace osprey::proxy
