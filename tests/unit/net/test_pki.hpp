#pragma once
// Certificates for the TLS tests, made with the openssl command line in a fresh temporary
// directory (removed afterwards): CAs, and leaf certificates for "localhost", 127.0.0.1 and ::1
// signed by one of them. EC P-256 keys, so making them takes milliseconds.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace osprey::net::testing {

class TestPki {
 public:
  TestPki() {
    std::string pattern = (std::filesystem::temp_directory_path() / "osprey-net-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) return;
    dir_ = pattern;
    write("openssl.cnf",
          "[req]\n"
          "distinguished_name = dn\n"
          "prompt = no\n"
          "[dn]\n"
          "CN = unused\n"
          "[ca]\n"
          "basicConstraints = critical,CA:TRUE\n"
          "keyUsage = critical,keyCertSign,cRLSign\n"
          "subjectKeyIdentifier = hash\n"
          "[leaf]\n"
          "basicConstraints = critical,CA:FALSE\n"
          "keyUsage = critical,digitalSignature\n"
          "extendedKeyUsage = serverAuth,clientAuth\n"
          "subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1\n"
          "subjectKeyIdentifier = hash\n"
          "authorityKeyIdentifier = keyid\n");
  }
  ~TestPki() {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  bool ok() const { return !dir_.empty(); }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path certificate(std::string_view name) const {
    return dir_ / (std::string(name) + ".crt");
  }
  std::filesystem::path key(std::string_view name) const { return dir_ / (std::string(name) + ".key"); }

  // A self-signed CA: <name>.crt and <name>.key.
  bool make_ca(std::string_view name) {
    return run("openssl req -x509 -config " + in_dir("openssl.cnf") + " -extensions ca -newkey ec" +
               " -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj " +
               quoted("/CN=" + std::string(name)) + " -keyout " + in_dir(key(name)) + " -out " +
               in_dir(certificate(name)));
  }

  // A leaf certificate signed by `ca`, with subject CN `common_name` and the given serial.
  bool make_leaf(std::string_view ca, std::string_view name, std::string_view common_name, long serial) {
    const std::filesystem::path request = dir_ / (std::string(name) + ".csr");
    return run("openssl req -new -config " + in_dir("openssl.cnf") +
               " -newkey ec -pkeyopt ec_paramgen_curve:P-256" + " -nodes -subj " +
               quoted("/CN=" + std::string(common_name)) + " -keyout " + in_dir(key(name)) + " -out " +
               in_dir(request)) &&
           run("openssl x509 -req -in " + in_dir(request) + " -CA " + in_dir(certificate(ca)) + " -CAkey " +
               in_dir(key(ca)) + " -set_serial " + std::to_string(serial) + " -days 2 -extfile " +
               in_dir("openssl.cnf") + " -extensions leaf -out " + in_dir(certificate(name)));
  }

  std::filesystem::path write(std::string_view name, std::string_view text) const {
    const auto file = dir_ / std::string(name);
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
    return file;
  }

 private:
  // Single-quoted for the shell; the paths come from mkdtemp and hold no quote.
  static std::string quoted(const std::string& text) { return "'" + text + "'"; }
  std::string in_dir(const std::filesystem::path& path) const {
    return quoted((path.is_absolute() ? path : dir_ / path).string());
  }

  bool run(const std::string& command) const {
    if (dir_.empty()) return false;
    return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
  }

  std::filesystem::path dir_;
};

}  // namespace osprey::net::testing
