#pragma once
// The TLS contexts shared by every worker (RFC 3261 §26.2.1: TLS for sips:, TLS 1.2 or later).
// The server context holds the certificate chain and key from the config; the client context
// verifies peers against a CA file and the target host name. reload() builds a new server
// context when the files changed, so new connections get the new certificate while existing
// connections keep the context they started with (they hold a shared_ptr to it): no restart,
// no dropped calls.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <tl/expected.hpp>

namespace osprey::net {

struct TlsFiles {
  std::filesystem::path certificate;  // PEM chain, leaf first
  std::filesystem::path private_key;  // PEM
  std::filesystem::path ca_file;      // PEM CAs to verify peers we connect to; empty: system default
};

class TlsContextStore {
 public:
  // Loads the files; the error names the file and OpenSSL's reason.
  static tl::expected<std::shared_ptr<TlsContextStore>, std::string> create(TlsFiles files);
  // A store for a client alone (the `osprey` client tools): the client context verifying
  // servers against `ca_file` (empty: the system store), and no server context, so a TLS
  // connection to its listener is refused. The error names the CA file and OpenSSL's reason.
  static tl::expected<std::shared_ptr<TlsContextStore>, std::string> create_client(
      std::filesystem::path ca_file);

  // Null in a store made by create_client().
  std::shared_ptr<boost::asio::ssl::context> server_context() const;
  std::shared_ptr<boost::asio::ssl::context> client_context() const;

  // Rebuilds the server context if the certificate or key file changed since the last load
  // (modification time or size), or always when `force` (SIGHUP). Returns true when a new
  // context is in place, false when nothing changed; an error (bad or half-written files)
  // keeps the current context.
  tl::expected<bool, std::string> reload(bool force);

 private:
  explicit TlsContextStore(TlsFiles files) : files_(std::move(files)) {}
  struct Stamp {
    std::filesystem::file_time_type certificate_time;
    std::filesystem::file_time_type key_time;
    std::uintmax_t certificate_size = 0;
    std::uintmax_t key_size = 0;
    friend bool operator==(const Stamp&, const Stamp&) = default;
  };
  // The stamp of the certificate and key files now; the error names the file that cannot be read.
  static tl::expected<Stamp, std::string> stamp_of(const TlsFiles& files);

  TlsFiles files_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> server_;
  std::shared_ptr<boost::asio::ssl::context> client_;
  Stamp stamp_;
};

}  // namespace osprey::net
