#include "sbc/trunk_registrations.hpp"

namespace osprey::sbc {

TrunkRegistrations::TrunkRegistrations(const std::vector<Trunk>& trunks, const ContactFor& contact_for,
                                       txn::TransactionTable& table,
                                       const TrunkRegistrationClient::Resolve& resolve) {
  for (const Trunk& trunk : trunks) {
    if (!trunk.registration.enabled) continue;
    clients_.emplace_back(
        trunk.name, std::make_unique<TrunkRegistrationClient>(trunk, contact_for(trunk), table, resolve));
  }
}

void TrunkRegistrations::start(txn::TimePoint now) {
  for (auto& [name, client] : clients_) client->start(now);
}

void TrunkRegistrations::stop() {
  for (auto& [name, client] : clients_) client->stop();
}

bool TrunkRegistrations::on_response(txn::ClientTransactionId transaction, const sip::Message& response) {
  for (auto& [name, client] : clients_) {
    if (client->on_response(transaction, response)) return true;
  }
  return false;
}

bool TrunkRegistrations::on_client_failure(txn::ClientTransactionId transaction, int status) {
  for (auto& [name, client] : clients_) {
    if (client->on_client_failure(transaction, status)) return true;
  }
  return false;
}

void TrunkRegistrations::advance(txn::TimePoint now) {
  for (auto& [name, client] : clients_) client->advance(now);
}

std::vector<std::pair<std::string, TrunkRegistrationStatus>> TrunkRegistrations::statuses() const {
  std::vector<std::pair<std::string, TrunkRegistrationStatus>> all;
  all.reserve(clients_.size());
  for (const auto& [name, client] : clients_) all.emplace_back(name, client->status());
  return all;
}

}  // namespace osprey::sbc
