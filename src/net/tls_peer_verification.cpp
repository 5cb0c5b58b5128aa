#include "net/tls_peer_verification.hpp"

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <openssl/x509v3.h>
#include <boost/asio/ip/address.hpp>

#include "sip/host.hpp"

namespace osprey::net {

std::string prepare_tls_peer_verification(SSL* ssl, std::string_view server_name,
                                          const std::string& address_text) {
  std::string name(sip::without_brackets(server_name));
  if (name.empty()) name = address_text;
  boost::system::error_code ec;
  boost::asio::ip::make_address(name, ec);
  if (!ec) {
    // An address literal is matched against the certificate's iPAddress entries, and never
    // sent as SNI (RFC 6066 §3: literal addresses are not permitted in HostName).
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) != 1) {
      return "TLS: cannot verify against address " + name;
    }
    return {};
  }
  if (SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) return "TLS: cannot set server name " + name;
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (SSL_set1_host(ssl, name.c_str()) != 1) return "TLS: cannot verify against host name " + name;
  return {};
}

}  // namespace osprey::net
