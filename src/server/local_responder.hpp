#pragma once
// The transaction user osprey runs until the proxy and registrar exist: it answers OPTIONS
// (RFC 3261 §11.2) with what osprey supports, and every other request with a final status that
// says honestly that nothing is served yet. It is the last stage of the pipeline the next
// issues fill in (DESIGN.md: local services | routing).

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "server/registrar_service.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::server {

struct ResponderCounters {
  std::uint64_t options_answered = 0;
  std::uint64_t requests_refused = 0;  // answered with an error status
  std::uint64_t stray_responses = 0;
};

class LocalResponder final : public txn::TransactionUser {
 public:
  // The methods osprey implements today (the Allow header of OPTIONS, §20.5).
  static constexpr std::string_view kAllow = "OPTIONS, REGISTER, ACK, CANCEL";

  LocalResponder();
  // The table answers go through, and the registrar REGISTERs go to (none: 501); set once,
  // before traffic.
  void attach(txn::TransactionTable& table, RegistrarService* registrar = nullptr) {
    table_ = &table;
    registrar_ = registrar;
  }

  void on_request(txn::ServerTransactionId transaction, const sip::Message& request,
                  const net::Flow& flow) override;
  void on_ack(const sip::Message& ack, const net::Flow& flow) override;
  void on_cancel(txn::ServerTransactionId invite, const sip::Message& cancel) override;
  void on_response(txn::ClientTransactionId transaction, const sip::Message& response) override;
  void on_client_failure(txn::ClientTransactionId transaction, int status) override;
  void on_stray_response(const sip::Message& response, const net::Flow& flow) override;

  const ResponderCounters& counters() const { return counters_; }

 private:
  using HeaderList = std::vector<std::pair<std::string, std::string>>;
  void answer(txn::ServerTransactionId transaction, const sip::Message& request, int status,
              std::string_view reason = {}, const HeaderList& headers = {});

 public:
  // A fresh To tag (RFC 3261 §19.3).
  std::string new_tag();

 private:
  txn::TransactionTable* table_ = nullptr;
  RegistrarService* registrar_ = nullptr;
  std::mt19937_64 random_;
  ResponderCounters counters_;
};

}  // namespace osprey::server
