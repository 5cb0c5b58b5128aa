#include "client/digest_account.hpp"

#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace osprey::client {
namespace {

constexpr std::string_view kAor = "sip:alice@example.com";

TEST(DigestAccountOf, NoPasswordMeansNoAccount) {
  auto account = digest_account_of(DigestAccountSources{"bob", "", ""}, kAor, std::nullopt);
  ASSERT_TRUE(account) << account.error();
  EXPECT_FALSE(*account);
  // An empty variable is not a password either.
  account = digest_account_of(DigestAccountSources{}, kAor, "");
  ASSERT_TRUE(account) << account.error();
  EXPECT_FALSE(*account);
}

TEST(DigestAccountOf, TheUserDefaultsToTheUriUserUnescaped) {
  auto account =
      digest_account_of(DigestAccountSources{"", "pw", ""}, "sip:al%69ce@example.com", std::nullopt);
  ASSERT_TRUE(account && *account);
  EXPECT_EQ((*account)->username, "alice");
  EXPECT_EQ((*account)->password, "pw");
  account = digest_account_of(DigestAccountSources{"bob", "pw", ""}, kAor, std::nullopt);
  ASSERT_TRUE(account && *account);
  EXPECT_EQ((*account)->username, "bob");
}

TEST(DigestAccountOf, PasswordFileFirstLineThenEnvironment) {
  test_support::TempDir dir;
  const auto file = dir.write("password", "from-file\r\nsecond line\n");
  auto account = digest_account_of(DigestAccountSources{"", "", file.string()}, kAor, "from-env");
  ASSERT_TRUE(account && *account);
  EXPECT_EQ((*account)->password, "from-file");
  // --password wins over both.
  account = digest_account_of(DigestAccountSources{"", "from-option", file.string()}, kAor, "from-env");
  ASSERT_TRUE(account && *account);
  EXPECT_EQ((*account)->password, "from-option");
  account = digest_account_of(DigestAccountSources{}, kAor, "from-env");
  ASSERT_TRUE(account && *account);
  EXPECT_EQ((*account)->password, "from-env");
}

TEST(DigestAccountOf, Errors) {
  test_support::TempDir dir;
  const auto missing = (dir.path() / "missing").string();
  auto account = digest_account_of(DigestAccountSources{"", "", missing}, kAor, std::nullopt);
  ASSERT_FALSE(account);
  EXPECT_NE(account.error().find(missing), std::string::npos) << account.error();
  const auto empty = dir.write("empty", "\nsecret\n");
  EXPECT_FALSE(digest_account_of(DigestAccountSources{"", "", empty.string()}, kAor, std::nullopt));
  // A password but nowhere to take a user name from.
  account = digest_account_of(DigestAccountSources{"", "pw", ""}, "sip:example.com", std::nullopt);
  ASSERT_FALSE(account);
  EXPECT_NE(account.error().find("--user"), std::string::npos) << account.error();
}

}  // namespace
}  // namespace osprey::client
