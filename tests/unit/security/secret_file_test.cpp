#include "security/secret_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace osprey::security {
namespace {

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("osprey-secret-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(SecretFileTest, MadeOnceOwnerOnlyAndReadBackTheSame) {
  const auto file = dir_ / "dialog-token.key";
  const auto first = load_or_create_secret(file);
  ASSERT_TRUE(first) << first.error();
  EXPECT_EQ(std::filesystem::file_size(file), 32u);
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  // The temporary file it was written through is gone.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), std::filesystem::directory_iterator()),
            1);
  const auto again = load_or_create_secret(file);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(*again, *first);
  // Another directory, another random secret.
  const auto other = load_or_create_secret(dir_ / "other.key");
  ASSERT_TRUE(other);
  EXPECT_NE(*other, *first);
}

TEST_F(SecretFileTest, AFileOfAnotherSizeIsRefusedNotReplaced) {
  const auto file = dir_ / "dialog-token.key";
  for (const std::string& content : {std::string(31, 'x'), std::string(33, 'x'), std::string()}) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << content;
    const auto secret = load_or_create_secret(file);
    ASSERT_FALSE(secret) << content.size();
    EXPECT_NE(secret.error().find("dialog-token.key"), std::string::npos) << secret.error();
    EXPECT_EQ(std::filesystem::file_size(file), content.size());
  }
}

TEST_F(SecretFileTest, AnUnwritableDirectoryIsAnErrorNamingTheFile) {
  const auto file = dir_ / "missing" / "dialog-token.key";
  const auto secret = load_or_create_secret(file);
  ASSERT_FALSE(secret);
  EXPECT_NE(secret.error().find("missing"), std::string::npos) << secret.error();
}

}  // namespace
}  // namespace osprey::security
