#pragma once
// One `osprey serve` per data_dir. Two servers on one data_dir would each keep their own view
// of the bindings, bans and stored messages in memory and overwrite each other's files behind
// them (a message delivered twice, a ban lifted by the other's write). `serve` holds an
// exclusive flock(2) on `<data_dir>/osprey.lock` for its whole life; a second one is refused
// with a message naming the data_dir and the holder's pid. The lock goes with the process,
// however it ends (kill -9 included), so there is no stale lock to clean up. The CLI tools
// (`osprey user`, `osprey ban`) do not take it: they write the same databases through SQLite's
// own locking, next to a running server, as they always have.

#include <filesystem>
#include <string>

#include <tl/expected.hpp>

namespace osprey::app {

class DataDirLock {
 public:
  static constexpr const char* kFileName = "osprey.lock";

  // Creates `data_dir` if needed and takes the lock, without waiting. The error names the
  // data_dir (and the pid of the server holding it, when it wrote one).
  static tl::expected<DataDirLock, std::string> acquire(const std::filesystem::path& data_dir);

  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&&) = delete;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock();  // releases the lock

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace osprey::app
