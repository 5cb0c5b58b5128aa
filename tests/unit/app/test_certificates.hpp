#pragma once
// A self-signed certificate and its key (P-256), written as PEM, for the tests that need TLS
// files that parse: made with OpenSSL's API in memory, no openssl binary needed.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

namespace osprey::app::testing {

struct CertificateFiles {
  std::filesystem::path certificate;
  std::filesystem::path private_key;
};

// Writes `<dir>/<name>.pem` and `<dir>/<name>.key`; empty paths if OpenSSL failed.
inline CertificateFiles write_self_signed(const std::filesystem::path& dir, const std::string& name) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) return {};
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return {};
  CertificateFiles files{dir / (name + ".pem"), dir / (name + ".key")};
  std::FILE* cert_out = std::fopen(files.certificate.c_str(), "w");
  std::FILE* key_out = std::fopen(files.private_key.c_str(), "w");
  const bool written = cert_out && key_out && PEM_write_X509(cert_out, cert.get()) == 1 &&
                       PEM_write_PrivateKey(key_out, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (cert_out) std::fclose(cert_out);
  if (key_out) std::fclose(key_out);
  return written ? files : CertificateFiles{};
}

}  // namespace osprey::app::testing
