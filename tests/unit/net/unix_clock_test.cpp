#include "net/unix_clock.hpp"

#include <gtest/gtest.h>

#include <ctime>

namespace osprey::net {
namespace {

TEST(UnixClock, AgreesWithTheCLibraryClock) {
  const std::int64_t before = static_cast<std::int64_t>(std::time(nullptr));
  const std::int64_t now = unix_seconds();
  const std::int64_t after = static_cast<std::int64_t>(std::time(nullptr));
  EXPECT_GE(now, before);
  EXPECT_LE(now, after);
}

TEST(UnixClock, IsSecondsNotMilliseconds) {
  // 2020-01-01 .. 2100-01-01: a count in any other unit falls outside.
  EXPECT_GT(unix_seconds(), 1577836800);
  EXPECT_LT(unix_seconds(), 4102444800);
}

}  // namespace
}  // namespace osprey::net
