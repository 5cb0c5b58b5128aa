#include "security/secret_file.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace osprey::security {
namespace {

std::string failure(const std::filesystem::path& file, std::string_view doing, int error) {
  return file.string() + ": " + std::string(doing) + ": " + std::strerror(error);
}

// Closes the descriptor when leaving scope, whatever the path out.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting what close says (a write error can surface only here).
  int close() {
    const int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

tl::expected<SecretBytes, std::string> read_secret(const std::filesystem::path& file, int fd) {
  SecretBytes secret{};
  std::size_t got = 0;
  while (got < secret.size()) {
    const ssize_t n = ::read(fd, secret.data() + got, secret.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return tl::unexpected(failure(file, "cannot read the secret", errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  std::uint8_t extra = 0;
  if (got != secret.size() || ::read(fd, &extra, 1) != 0) {
    return tl::unexpected(file.string() + ": not a secret of " + std::to_string(secret.size()) +
                          " bytes (remove the file to make a new one)");
  }
  return secret;
}

tl::expected<SecretBytes, std::string> create_secret(const std::filesystem::path& file) {
  SecretBytes secret{};
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    return tl::unexpected(file.string() + ": OpenSSL's random generator failed");
  }
  // A temporary file of our own (mkstemp: a unique name, created 0600), so two servers starting
  // together never write into the same one.
  std::string temporary = file.string() + ".XXXXXX";
  FileDescriptor fd(::mkstemp(temporary.data()));
  if (fd.get() < 0) return tl::unexpected(failure(temporary, "cannot create the secret", errno));
  const auto fail = [&](std::string_view doing) {
    const int error = errno;
    ::unlink(temporary.c_str());
    return tl::unexpected(failure(temporary, doing, error));
  };
  std::size_t written = 0;
  while (written < secret.size()) {
    const ssize_t n = ::write(fd.get(), secret.data() + written, secret.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("cannot write the secret");
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("cannot sync the secret");
  if (fd.close() != 0) return fail("cannot write the secret");
  // link() rather than rename(): if another osprey made the file meanwhile, its secret stands.
  if (::link(temporary.c_str(), file.c_str()) != 0 && errno != EEXIST)
    return fail("cannot install the secret");
  ::unlink(temporary.c_str());
  FileDescriptor installed(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (installed.get() < 0) return tl::unexpected(failure(file, "cannot open the secret", errno));
  return read_secret(file, installed.get());
}

}  // namespace

tl::expected<SecretBytes, std::string> load_or_create_secret(const std::filesystem::path& file) {
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return create_secret(file);
    return tl::unexpected(failure(file, "cannot open the secret", errno));
  }
  return read_secret(file, fd.get());
}

}  // namespace osprey::security
