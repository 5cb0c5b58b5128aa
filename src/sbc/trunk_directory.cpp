#include "sbc/trunk_directory.hpp"

namespace osprey::sbc {

const Trunk* TrunkDirectory::by_name(std::string_view name) const {
  for (const Trunk& trunk : trunks_) {
    if (trunk.name == name) return &trunk;
  }
  return nullptr;
}

const Trunk* TrunkDirectory::by_source(const boost::asio::ip::address& address) const {
  for (const Trunk& trunk : trunks_) {
    if (trunk.sources.contains(address)) return &trunk;
  }
  return nullptr;
}

}  // namespace osprey::sbc
