#pragma once
// The registrations of every trunk that wants one (TrunkRegistration::enabled), run by ONE worker
// of the server (a second worker running them too would register twice): that worker hands
// every client-transaction upcall here first and ticks advance() with its table.

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sbc/trunk.hpp"
#include "sbc/trunk_registration.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::sbc {

class TrunkRegistrations {
 public:
  // osprey's Contact toward a trunk (the address the trunk must reach osprey at).
  using ContactFor = std::function<std::string(const Trunk&)>;

  TrunkRegistrations(const std::vector<Trunk>& trunks, const ContactFor& contact_for,
                     txn::TransactionTable& table, const TrunkRegistrationClient::Resolve& resolve);

  void start(txn::TimePoint now);
  void stop();
  // True when `transaction` belongs to one of the registrations.
  bool on_response(txn::ClientTransactionId transaction, const sip::Message& response);
  bool on_client_failure(txn::ClientTransactionId transaction, int status);
  void advance(txn::TimePoint now);

  // Each registering trunk's name and state, for the admin API and the log.
  std::vector<std::pair<std::string, TrunkRegistrationStatus>> statuses() const;
  bool empty() const { return clients_.empty(); }

 private:
  std::vector<std::pair<std::string, std::unique_ptr<TrunkRegistrationClient>>> clients_;
};

}  // namespace osprey::sbc
