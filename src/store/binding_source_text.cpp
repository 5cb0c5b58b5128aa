#include "store/binding_source_text.hpp"

#include <charconv>

#include "sip/char_class.hpp"
#include "sip/host.hpp"

namespace osprey::store {

std::string source_text(const BindingSource& source) {
  return sip::to_ascii_lower(net::via_token(source.protocol)) + ':' + net::to_string(source.remote);
}

std::optional<BindingSource> parse_source_text(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto protocol = net::protocol_from_via(text.substr(0, colon));
  if (!protocol) return std::nullopt;
  const std::string_view rest = text.substr(colon + 1);
  const auto port_colon = rest.rfind(':');
  if (port_colon == std::string_view::npos) return std::nullopt;
  std::string_view host = rest.substr(0, port_colon);
  const std::string_view port_text = rest.substr(port_colon + 1);
  host = sip::without_brackets(host);
  BindingSource source{*protocol, {}, 0};
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), source.remote.port);
  if (error != std::errc{} || end != port_text.data() + port_text.size() || source.remote.port == 0)
    return std::nullopt;
  boost::system::error_code bad;
  source.remote.address = boost::asio::ip::make_address(std::string(host), bad);
  if (bad) return std::nullopt;
  return source;
}

}  // namespace osprey::store
