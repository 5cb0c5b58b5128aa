#include "app/data_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace osprey::app {
namespace {

// The pid the holder wrote, trimmed; empty when unreadable.
std::string holder_pid(int fd) {
  char text[32] = {};
  const ssize_t got = pread(fd, text, sizeof text - 1, 0);
  if (got <= 0) return {};
  std::string pid(text, static_cast<std::size_t>(got));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.find_first_not_of("0123456789") == std::string::npos ? pid : std::string();
}

}  // namespace

tl::expected<DataDirLock, std::string> DataDirLock::acquire(const std::filesystem::path& data_dir) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) return tl::unexpected("cannot create data_dir " + data_dir.string() + ": " + error.message());
  const std::filesystem::path file = data_dir / kFileName;
  // O_CLOEXEC: a child process must not inherit (and so prolong) the lock.
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return tl::unexpected("cannot open " + file.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int why = errno;
    std::string message = "data_dir " + data_dir.string();
    if (why == EWOULDBLOCK) {
      const std::string pid = holder_pid(fd);
      message += " is in use by another osprey serve" + (pid.empty() ? std::string() : " (pid " + pid + ")") +
                 ": one server per data_dir";
    } else {
      message += ": cannot lock " + file.string() + ": " + std::strerror(why);
    }
    ::close(fd);
    return tl::unexpected(message);
  }
  // For the message a second server prints; the lock itself is what counts.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // Not fatal: the lock is held all the same.
  }
  return DataDirLock(fd);
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace osprey::app
