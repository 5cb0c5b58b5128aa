#include "security/dialog_token.hpp"

#include <gtest/gtest.h>

namespace osprey::security {
namespace {

DialogToken::Secret secret(std::uint8_t fill) {
  DialogToken::Secret value{};
  value.fill(fill);
  return value;
}

TEST(DialogToken, VerifiesItsOwnTokenForTheSameCallId) {
  const DialogToken tokens(secret(7));
  const std::string token = tokens.sign("a84b4c76e66710@pc33.atlanta.com");
  EXPECT_EQ(token.size(), 22u);
  EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_TRUE(tokens.verify("a84b4c76e66710@pc33.atlanta.com", token));
}

TEST(DialogToken, RefusesAnotherCallIdAnotherSecretOrATamperedToken) {
  const DialogToken tokens(secret(7));
  const std::string token = tokens.sign("call-1");
  EXPECT_FALSE(tokens.verify("call-2", token));
  EXPECT_FALSE(DialogToken(secret(8)).verify("call-1", token));
  std::string tampered = token;
  tampered[0] = tampered[0] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(tokens.verify("call-1", tampered));
  EXPECT_FALSE(tokens.verify("call-1", ""));
  EXPECT_FALSE(tokens.verify("call-1", token + "x"));
}

}  // namespace
}  // namespace osprey::security
