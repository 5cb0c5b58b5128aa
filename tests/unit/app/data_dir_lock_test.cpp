#include "app/data_dir_lock.hpp"

#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace osprey::app {
namespace {

using test_support::TempDir;

TEST(DataDirLock, OneHolderAtATimeAndTheRefusalNamesTheDataDir) {
  TempDir dir;
  const std::filesystem::path data = dir.path() / "data";
  std::optional<DataDirLock> held;
  {
    auto first = DataDirLock::acquire(data);  // creates the data_dir
    ASSERT_TRUE(first) << first.error();
    held.emplace(std::move(*first));
  }
  EXPECT_TRUE(std::filesystem::exists(data / DataDirLock::kFileName));
  // flock(2) locks belong to the open file: a second acquire conflicts even in this process,
  // as a second server would.
  const auto second = DataDirLock::acquire(data);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), "data_dir " + data.string() + " is in use by another osprey serve (pid " +
                                std::to_string(::getpid()) + "): one server per data_dir");
  // Released with its holder: the next server starts.
  held.reset();
  EXPECT_TRUE(DataDirLock::acquire(data));
}

TEST(DataDirLock, AnUnusableDataDirIsAnError) {
  TempDir dir;
  const std::filesystem::path file = dir.write("not-a-dir", "x");
  const auto locked = DataDirLock::acquire(file / "data");
  ASSERT_FALSE(locked);
  EXPECT_NE(locked.error().find((file / "data").string()), std::string::npos) << locked.error();
}

}  // namespace
}  // namespace osprey::app
