#pragma once
// osprey answers itself what is addressed to it: OPTIONS (RFC 3261 §11.2), REGISTER through the
// registrar service (registrar/registrar_service.hpp), 404 for the rest (nothing is served
// there, §21.4.5). A proxied request is passed on to the routing stage; MESSAGE storage for
// offline users happens there, once the proxy found no device to deliver to (im/).

#include <cstdint>

#include "proxy/request_stage.hpp"
#include "registrar/registrar_service.hpp"

namespace osprey::proxy {

class LocalServicesStage final : public RequestStage {
 public:
  // `registrar` none: REGISTER gets 501. Set once, before traffic.
  void attach(txn::TransactionTable* table, registrar::RegistrarService* registrar) {
    table_ = table;
    registrar_ = registrar;
  }

  Verdict run(RequestContext& context) override;

  std::uint64_t options_answered() const { return options_answered_; }

 private:
  txn::TransactionTable* table_ = nullptr;
  registrar::RegistrarService* registrar_ = nullptr;
  std::uint64_t options_answered_ = 0;
};

}  // namespace osprey::proxy
