#pragma once
// The trunks of the configuration, looked up by name and by the source address of a request.

#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "sbc/trunk.hpp"

namespace osprey::sbc {

class TrunkDirectory {
 public:
  explicit TrunkDirectory(std::vector<Trunk> trunks) : trunks_(std::move(trunks)) {}

  const Trunk* by_name(std::string_view name) const;
  // The first trunk whose `sources` contain `address`, nullptr when none does.
  const Trunk* by_source(const boost::asio::ip::address& address) const;
  const std::vector<Trunk>& all() const { return trunks_; }

 private:
  std::vector<Trunk> trunks_;
};

}  // namespace osprey::sbc
