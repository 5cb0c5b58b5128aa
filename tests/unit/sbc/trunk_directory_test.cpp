#include "sbc/trunk_directory.hpp"

#include <gtest/gtest.h>

namespace osprey::sbc {
namespace {

Trunk trunk_named(std::string name, std::vector<std::string> sources) {
  Trunk trunk;
  trunk.name = std::move(name);
  trunk.sources = *security::AddressSet::parse(sources);
  return trunk;
}

TEST(TrunkDirectoryTest, FindsTrunksByNameAndBySourceAddress) {
  TrunkDirectory trunks({trunk_named("carrier", {"192.0.2.0/24"}), trunk_named("pbx", {"10.1.2.3"})});
  ASSERT_NE(trunks.by_name("pbx"), nullptr);
  EXPECT_EQ(trunks.by_name("pbx")->name, "pbx");
  EXPECT_EQ(trunks.by_name("nobody"), nullptr);
  const Trunk* from_carrier = trunks.by_source(boost::asio::ip::make_address("192.0.2.77"));
  ASSERT_NE(from_carrier, nullptr);
  EXPECT_EQ(from_carrier->name, "carrier");
  EXPECT_EQ(trunks.by_source(boost::asio::ip::make_address("10.1.2.4")), nullptr);
  EXPECT_EQ(trunks.by_source(boost::asio::ip::make_address("::ffff:10.1.2.3"))->name, "pbx");
}

}  // namespace
}  // namespace osprey::sbc
