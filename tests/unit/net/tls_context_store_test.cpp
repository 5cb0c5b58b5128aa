// TlsContextStore: loading, the checks on the files, and reload (RFC 3261 §26.2.1).

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "net/test_pki.hpp"
#include "net/tls_context_store.hpp"

namespace osprey::net {
namespace {

class TlsContextStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.ok());
    ASSERT_TRUE(pki_.make_ca("ca"));
    ASSERT_TRUE(pki_.make_leaf("ca", "first", "first.osprey.test", 1001));
    ASSERT_TRUE(pki_.make_leaf("ca", "second", "second-certificate.osprey.test", 2002));
    std::filesystem::copy_file(pki_.certificate("first"), pki_.dir() / "server.crt");
    std::filesystem::copy_file(pki_.key("first"), pki_.dir() / "server.key");
    files_.certificate = pki_.dir() / "server.crt";
    files_.private_key = pki_.dir() / "server.key";
    files_.ca_file = pki_.certificate("ca");
  }

  // The serial of the certificate a server context would present.
  static long serial_of(const std::shared_ptr<boost::asio::ssl::context>& context) {
    X509* certificate = SSL_CTX_get0_certificate(context->native_handle());
    return certificate == nullptr ? -1 : ASN1_INTEGER_get(X509_get0_serialNumber(certificate));
  }

  void replace_with(std::string_view leaf) {
    std::filesystem::copy_file(pki_.certificate(leaf), files_.certificate,
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(pki_.key(leaf), files_.private_key,
                               std::filesystem::copy_options::overwrite_existing);
  }

  testing::TestPki pki_;
  TlsFiles files_;
};

TEST_F(TlsContextStoreTest, CreateLoadsBothContexts) {
  auto store = TlsContextStore::create(files_);
  ASSERT_TRUE(store) << store.error();
  const auto server = (*store)->server_context();
  const auto client = (*store)->client_context();
  ASSERT_TRUE(server);
  ASSERT_TRUE(client);
  EXPECT_EQ(serial_of(server), 1001);
  // RFC 8996 / RFC 3261 §26.2.1: nothing older than TLS 1.2, no compression.
  EXPECT_EQ(SSL_CTX_get_min_proto_version(server->native_handle()), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(client->native_handle()), TLS1_2_VERSION);
  EXPECT_NE(SSL_CTX_get_options(server->native_handle()) & SSL_OP_NO_COMPRESSION, 0u);
  EXPECT_NE(SSL_CTX_get_verify_mode(client->native_handle()) & SSL_VERIFY_PEER, 0);
}

TEST_F(TlsContextStoreTest, CreateWithoutCaFileUsesTheSystemStore) {
  files_.ca_file.clear();
  auto store = TlsContextStore::create(files_);
  ASSERT_TRUE(store) << store.error();
  EXPECT_TRUE((*store)->client_context());
}

TEST_F(TlsContextStoreTest, ErrorsNameTheFile) {
  TlsFiles missing = files_;
  missing.certificate = pki_.dir() / "missing.crt";
  auto no_certificate = TlsContextStore::create(missing);
  ASSERT_FALSE(no_certificate);
  EXPECT_NE(no_certificate.error().find("missing.crt"), std::string::npos) << no_certificate.error();

  TlsFiles garbage = files_;
  garbage.certificate = pki_.write("garbage.crt", "not a certificate\n");
  auto bad_certificate = TlsContextStore::create(garbage);
  ASSERT_FALSE(bad_certificate);
  EXPECT_NE(bad_certificate.error().find("garbage.crt"), std::string::npos) << bad_certificate.error();

  TlsFiles mismatched = files_;
  mismatched.private_key = pki_.key("second");  // a valid key, of another certificate
  auto wrong_key = TlsContextStore::create(mismatched);
  ASSERT_FALSE(wrong_key);
  EXPECT_NE(wrong_key.error().find("second.key"), std::string::npos) << wrong_key.error();
  EXPECT_NE(wrong_key.error().find("mismatch"), std::string::npos) << wrong_key.error();

  TlsFiles bad_ca = files_;
  bad_ca.ca_file = pki_.dir() / "no-ca.crt";
  auto no_ca = TlsContextStore::create(bad_ca);
  ASSERT_FALSE(no_ca);
  EXPECT_NE(no_ca.error().find("no-ca.crt"), std::string::npos) << no_ca.error();
}

TEST_F(TlsContextStoreTest, EncryptedKeyFailsInsteadOfPrompting) {
  const auto encrypted = pki_.dir() / "encrypted.key";
  const std::string command = "openssl pkey -in '" + files_.private_key.string() +
                              "' -aes256 -passout pass:secret -out '" + encrypted.string() +
                              "' >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  files_.private_key = encrypted;
  auto store = TlsContextStore::create(files_);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find("encrypted.key"), std::string::npos) << store.error();
}

TEST_F(TlsContextStoreTest, ReloadOnlyWhenTheFilesChanged) {
  auto created = TlsContextStore::create(files_);
  ASSERT_TRUE(created) << created.error();
  auto& store = **created;
  const auto first = store.server_context();

  auto unchanged = store.reload(false);
  ASSERT_TRUE(unchanged) << unchanged.error();
  EXPECT_FALSE(*unchanged);
  EXPECT_EQ(store.server_context(), first);

  replace_with("second");
  auto changed = store.reload(false);
  ASSERT_TRUE(changed) << changed.error();
  EXPECT_TRUE(*changed);
  const auto second = store.server_context();
  EXPECT_NE(second, first);
  EXPECT_EQ(serial_of(second), 2002);
  EXPECT_EQ(serial_of(first), 1001);  // whoever still holds the old context keeps it intact

  auto again = store.reload(false);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);

  auto forced = store.reload(true);  // SIGHUP: rebuilt even though nothing changed
  ASSERT_TRUE(forced) << forced.error();
  EXPECT_TRUE(*forced);
  EXPECT_NE(store.server_context(), second);
  EXPECT_EQ(serial_of(store.server_context()), 2002);
}

TEST_F(TlsContextStoreTest, FailedReloadKeepsTheCurrentContextAndRetriesOnTheNextChange) {
  auto created = TlsContextStore::create(files_);
  ASSERT_TRUE(created) << created.error();
  auto& store = **created;
  const auto current = store.server_context();

  pki_.write("server.key", "-----BEGIN PRIVATE KEY-----\nhalf wri");
  auto broken = store.reload(false);
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().find("server.key"), std::string::npos) << broken.error();
  EXPECT_EQ(store.server_context(), current);
  // The same broken files are reported once, not at every periodic check.
  auto repeated = store.reload(false);
  ASSERT_TRUE(repeated) << repeated.error();
  EXPECT_FALSE(*repeated);

  // A certificate that does not match the (restored) key is refused as well.
  std::filesystem::copy_file(pki_.key("first"), files_.private_key,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(pki_.certificate("second"), files_.certificate,
                             std::filesystem::copy_options::overwrite_existing);
  auto mismatched = store.reload(false);
  ASSERT_FALSE(mismatched);
  EXPECT_EQ(store.server_context(), current);

  // Once the files are whole again, the next reload picks them up.
  replace_with("second");
  auto fixed = store.reload(false);
  ASSERT_TRUE(fixed) << fixed.error();
  EXPECT_TRUE(*fixed);
  EXPECT_EQ(serial_of(store.server_context()), 2002);

  std::filesystem::remove(files_.certificate);
  auto gone = store.reload(true);
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().find("server.crt"), std::string::npos) << gone.error();
  EXPECT_EQ(serial_of(store.server_context()), 2002);
}

}  // namespace
}  // namespace osprey::net
