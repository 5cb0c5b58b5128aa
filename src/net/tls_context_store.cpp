#include "net/tls_context_store.hpp"

#include <exception>
#include <string_view>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace osprey::net {

namespace ssl = boost::asio::ssl;
using boost::system::error_code;

namespace {

// TLS 1.2 ciphers (TLS 1.3 suites are OpenSSL's defaults, all strong): AEAD and CBC with
// SHA-2 or SHA-1 MACs, nothing anonymous, export-grade, RC4 or 3DES. RSA key exchange stays
// for the SIP phones that still know nothing else.
constexpr const char* kTls12Ciphers = "HIGH:!aNULL:!eNULL:!EXPORT:!MD5:!RC4:!3DES:!PSK:!SRP:!CAMELLIA:!ARIA";

std::string file_error(std::string_view what, const std::filesystem::path& file, std::string_view reason) {
  ERR_clear_error();  // leave nothing on this thread's OpenSSL error queue for later calls to trip on
  return std::string(what) + " " + file.string() + ": " + std::string(reason);
}

// What both sides share. RFC 3261 §26.2.1 asks for TLS; RFC 8996 deprecates TLS 1.0 and 1.1.
tl::expected<void, std::string> apply_common_settings(ssl::context& context) {
  error_code ec;
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                          ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                          ssl::context::single_dh_use,
                      ec);
  if (ec) return tl::unexpected("TLS options: " + ec.message());
  SSL_CTX* native = context.native_handle();
  // Compression leaks plaintext lengths (CRIME); renegotiation is a CPU lever for a peer.
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    ERR_clear_error();
    return tl::unexpected(std::string("TLS: cannot set the protocol version or cipher list"));
  }
  // An encrypted key file must fail to load, not make OpenSSL prompt on the terminal.
  context.set_password_callback([](std::size_t, ssl::context::password_purpose) { return std::string(); },
                                ec);
  if (ec) return tl::unexpected("TLS password callback: " + ec.message());
  return {};
}

tl::expected<std::shared_ptr<ssl::context>, std::string> make_server_context(const TlsFiles& files) {
  std::shared_ptr<ssl::context> context;
  try {
    context = std::make_shared<ssl::context>(
        ssl::context::tls_server);  // throws only when OpenSSL is out of memory
  } catch (const std::exception& e) {
    return tl::unexpected(std::string("TLS context: ") + e.what());
  }
  if (auto common = apply_common_settings(*context); !common) return tl::unexpected(common.error());
  SSL_CTX_set_options(context->native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  // No TLS 1.3 session tickets: osprey keeps no resumption state, and SIP clients that read
  // the socket directly after the handshake (sipsak with GnuTLS is one) take the ticket record
  // for their answer and give up.
  SSL_CTX_set_num_tickets(context->native_handle(), 0);
  error_code ec;
  context->use_certificate_chain_file(files.certificate.string(), ec);
  if (ec) return tl::unexpected(file_error("certificate file", files.certificate, ec.message()));
  context->use_private_key_file(files.private_key.string(), ssl::context::pem, ec);
  if (ec) return tl::unexpected(file_error("private key file", files.private_key, ec.message()));
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return tl::unexpected(file_error("private key file", files.private_key,
                                     "does not match the certificate in " + files.certificate.string()));
  }
  return context;
}

tl::expected<std::shared_ptr<ssl::context>, std::string> make_client_context(const TlsFiles& files) {
  std::shared_ptr<ssl::context> context;
  try {
    context = std::make_shared<ssl::context>(ssl::context::tls_client);
  } catch (const std::exception& e) {
    return tl::unexpected(std::string("TLS context: ") + e.what());
  }
  if (auto common = apply_common_settings(*context); !common) return tl::unexpected(common.error());
  error_code ec;
  // RFC 3261 §26.2.1 / RFC 5922: a server we connect to proves its identity with a certificate
  // chaining to a CA we trust; each connection adds the host name check.
  context->set_verify_mode(ssl::verify_peer, ec);
  if (ec) return tl::unexpected("TLS verify mode: " + ec.message());
  if (files.ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) return tl::unexpected("TLS: cannot load the system CA certificates: " + ec.message());
  } else {
    context->load_verify_file(files.ca_file.string(), ec);
    if (ec) return tl::unexpected(file_error("CA file", files.ca_file, ec.message()));
  }
  return context;
}

}  // namespace

tl::expected<TlsContextStore::Stamp, std::string> TlsContextStore::stamp_of(const TlsFiles& files) {
  Stamp stamp;
  std::error_code ec;
  stamp.certificate_time = std::filesystem::last_write_time(files.certificate, ec);
  if (!ec) stamp.certificate_size = std::filesystem::file_size(files.certificate, ec);
  if (ec) return tl::unexpected("certificate file " + files.certificate.string() + ": " + ec.message());
  stamp.key_time = std::filesystem::last_write_time(files.private_key, ec);
  if (!ec) stamp.key_size = std::filesystem::file_size(files.private_key, ec);
  if (ec) return tl::unexpected("private key file " + files.private_key.string() + ": " + ec.message());
  return stamp;
}

tl::expected<std::shared_ptr<TlsContextStore>, std::string> TlsContextStore::create(TlsFiles files) {
  // Stamped before loading: a file replaced while we read it shows up as a change next time.
  auto stamp = stamp_of(files);
  if (!stamp) return tl::unexpected(stamp.error());
  auto server = make_server_context(files);
  if (!server) return tl::unexpected(server.error());
  auto client = make_client_context(files);
  if (!client) return tl::unexpected(client.error());
  std::shared_ptr<TlsContextStore> store(new TlsContextStore(std::move(files)));
  store->server_ = std::move(*server);
  store->client_ = std::move(*client);
  store->stamp_ = *stamp;
  return store;
}

tl::expected<std::shared_ptr<TlsContextStore>, std::string> TlsContextStore::create_client(
    std::filesystem::path ca_file) {
  TlsFiles files;
  files.ca_file = std::move(ca_file);
  auto client = make_client_context(files);
  if (!client) return tl::unexpected(client.error());
  std::shared_ptr<TlsContextStore> store(new TlsContextStore(std::move(files)));
  store->client_ = std::move(*client);
  return store;
}

std::shared_ptr<ssl::context> TlsContextStore::server_context() const {
  std::lock_guard lock(mutex_);
  return server_;
}

std::shared_ptr<ssl::context> TlsContextStore::client_context() const {
  std::lock_guard lock(mutex_);
  return client_;
}

tl::expected<bool, std::string> TlsContextStore::reload(bool force) {
  auto stamp = stamp_of(files_);
  if (!stamp) return tl::unexpected(stamp.error());
  {
    std::lock_guard lock(mutex_);
    if (!force && *stamp == stamp_) return false;
  }
  // Built outside the lock so workers taking a context for a new connection never wait on
  // file reads. A failure is recorded under the new stamp, so it is reported once, not at every
  // check; a half-written file changes again when it is complete and is picked up then.
  auto server = make_server_context(files_);
  if (!server) {
    std::lock_guard lock(mutex_);
    stamp_ = *stamp;
    return tl::unexpected(server.error());
  }
  std::lock_guard lock(mutex_);
  server_ = std::move(*server);
  stamp_ = *stamp;
  return true;
}

}  // namespace osprey::net
