#include "app/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>
#include <thread>

#include <toml++/toml.h>
#include <boost/asio/ip/address.hpp>

#include "app/config_reader.hpp"
#include "app/trunk_config.hpp"
#include "sip/host.hpp"

namespace osprey::app {
namespace {

// RFC 3261 §18.2.1 (and §19.1.2): 5060 for UDP and TCP, 5061 for TLS.
constexpr std::uint16_t kSipPort = 5060;
constexpr std::uint16_t kSipsPort = 5061;
// RFC 7118 names no port for SIP over WebSocket: the WebSocket ones (RFC 6455 §3).
constexpr std::uint16_t kWebSocketPort = 80;
constexpr std::uint16_t kSecureWebSocketPort = 443;

bool uses_tls(Transport transport) { return transport == Transport::tls || transport == Transport::wss; }

std::uint16_t default_listen_port(Transport transport) {
  switch (transport) {
    case Transport::udp:
    case Transport::tcp: return kSipPort;
    case Transport::tls: return kSipsPort;
    case Transport::ws: return kWebSocketPort;
    case Transport::wss: return kSecureWebSocketPort;
  }
  return kSipPort;
}
constexpr unsigned kMaxWorkers = 1024;
constexpr std::uint32_t kMinExpiresFloor = 60;  // below this, clients re-register too often to serve
constexpr std::uint32_t kMaxExpiresCeiling = 86400;

void read_domains(Section& root, Config& config) {
  if (!root.has("domains")) {
    root.fail("domains", "is required: list the SIP domains this server is responsible for");
    return;
  }
  if (!root.string_array("domains", config.domains)) return;
  if (config.domains.empty()) {
    root.fail("domains", "must list at least one domain");
    return;
  }
  for (const std::string& domain : config.domains) {
    // A SIP domain is the host part of a URI (RFC 3261 §19.1.1): IPv6 goes in brackets there.
    if (!sip::classify_host(domain)) {
      root.fail("domains", "'" + domain + "' is not a host name or IP address (write IPv6 in brackets)");
      return;
    }
  }
}

// Two sockets of the same kind on the same address and port cannot both bind.
bool same_socket(const ListenConfig& a, const ListenConfig& b) {
  const bool a_stream = a.transport != Transport::udp;
  const bool b_stream = b.transport != Transport::udp;
  if (a_stream != b_stream || a.port != b.port) return false;
  boost::system::error_code ignored;
  return boost::asio::ip::make_address(a.address, ignored) ==
         boost::asio::ip::make_address(b.address, ignored);
}

// A file the server reads (a PEM): resolved against the config's folder, and, when the command
// needs it, checked to exist. The error names the resolved path: where osprey looked.
bool read_file_path(ReadState& state, Section& section, std::string_view key, std::string& out) {
  std::string written;
  if (!section.string(key, written)) return false;
  out = state.resolve(written);
  std::error_code error;
  if (state.check_files && !std::filesystem::is_regular_file(out, error)) {
    section.fail(key, "'" + out + "' is not a readable file");
  }
  return true;
}

void read_tls_file(ReadState& state, Section& entry, std::string_view key, std::string& out) {
  if (!entry.has(key)) {
    entry.fail(key, "is required for transport \"tls\" and \"wss\"");
    return;
  }
  read_file_path(state, entry, key, out);
}

ListenConfig read_listen_entry(ReadState& state, const toml::table& table, std::string path) {
  Section entry(state, table, std::move(path));
  ListenConfig listen;
  if (!entry.has("transport")) entry.fail("transport", "is required (udp, tcp, tls, ws or wss)");
  entry.choice("transport",
               {{"udp", Transport::udp},
                {"tcp", Transport::tcp},
                {"tls", Transport::tls},
                {"ws", Transport::ws},
                {"wss", Transport::wss}},
               listen.transport);

  if (entry.string("address", listen.address)) {
    boost::system::error_code error;
    boost::asio::ip::make_address(listen.address, error);
    if (error) {
      entry.fail("address",
                 "'" + listen.address +
                     "' is not an IPv4 or IPv6 address literal (like 0.0.0.0 or ::1, no brackets)");
    }
  }

  listen.port = default_listen_port(listen.transport);
  entry.integer<std::uint16_t>("port", 1, 65535, listen.port);

  if (uses_tls(listen.transport)) {
    read_tls_file(state, entry, "certificate", listen.certificate);
    read_tls_file(state, entry, "private_key", listen.private_key);
  } else {
    for (std::string_view key : {"certificate", "private_key"}) {
      if (entry.has(key)) entry.fail(key, "is only used with transport \"tls\" and \"wss\"");
    }
    // Mark them known so the message above, not "unknown key", is what the user sees.
    std::string ignored;
    entry.string("certificate", ignored);
    entry.string("private_key", ignored);
  }
  entry.fail_unknown_keys();
  return listen;
}

void read_listen(ReadState& state, Section& root, Config& config) {
  if (!root.has("listen")) {
    // Omitted: UDP and TCP on every IPv4 interface, the usual SIP port.
    config.listen = {ListenConfig{Transport::udp, "0.0.0.0", kSipPort, {}, {}},
                     ListenConfig{Transport::tcp, "0.0.0.0", kSipPort, {}, {}}};
    return;
  }
  const toml::array* entries = root.table_array("listen");
  if (entries == nullptr) return;
  if (entries->empty()) {
    root.fail("listen", "must have at least one [[listen]] entry");
    return;
  }
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const toml::table& table = *entries->get(i)->as_table();
    const std::string path = "listen[" + std::to_string(i) + "]";
    ListenConfig listen = read_listen_entry(state, table, path);
    for (std::size_t j = 0; j < config.listen.size(); ++j) {
      if (same_socket(config.listen[j], listen)) {
        Section entry(state, table, path);
        entry.fail("port", "listen[" + std::to_string(j) + "] already binds " +
                               std::string(to_string(listen.transport)) + " on " + listen.address + " port " +
                               std::to_string(listen.port));
      }
    }
    // One certificate serves every TLS and WSS listener (the workers share one TLS context that
    // is reloaded as a whole), so two such entries must name the same files.
    for (std::size_t j = 0; j < config.listen.size(); ++j) {
      const ListenConfig& other = config.listen[j];
      if (uses_tls(listen.transport) && uses_tls(other.transport) &&
          (other.certificate != listen.certificate || other.private_key != listen.private_key)) {
        Section entry(state, table, path);
        entry.fail("certificate",
                   "every TLS and WSS listener must use the same certificate and private_key as listen[" +
                       std::to_string(j) + "]");
        break;
      }
    }
    config.listen.push_back(std::move(listen));
  }
}

// Requires lower <= upper. The error names the key the user wrote, so it points at a real line.
void require_not_greater(Section& section, std::string_view lower_key, std::uint32_t lower,
                         std::string_view upper_key, std::uint32_t upper) {
  if (lower <= upper) return;
  if (section.has(upper_key) && !section.has(lower_key)) {
    section.fail(upper_key, "must not be less than " + section.qualified(lower_key) + " (" +
                                std::to_string(lower) + ", the default)");
    return;
  }
  section.fail(lower_key, "must not be greater than " + section.qualified(upper_key) + " (" +
                              std::to_string(upper) + (section.has(upper_key) ? ")" : ", the default)"));
}

void read_registrar(ReadState& state, const toml::table& table, RegistrarConfig& registrar) {
  Section section(state, table, "registrar");
  section.integer<std::uint32_t>("min_expires", kMinExpiresFloor, kMaxExpiresCeiling, registrar.min_expires);
  section.integer<std::uint32_t>("max_expires", kMinExpiresFloor, kMaxExpiresCeiling, registrar.max_expires);
  section.integer<std::uint32_t>("default_expires", kMinExpiresFloor, kMaxExpiresCeiling,
                                 registrar.default_expires);
  section.integer<std::uint32_t>("max_contacts_per_aor", 1, 1000, registrar.max_contacts_per_aor);
  // Below 10 s keep-alives are a load of their own; above an hour no NAT keeps a binding.
  section.integer<std::uint32_t>("flow_timer_udp", 10, 3600, registrar.flow_timer_udp);
  section.integer<std::uint32_t>("flow_timer_stream", 10, 3600, registrar.flow_timer_stream);
  section.boolean("forward_foreign_register", registrar.forward_foreign_register);
  require_not_greater(section, "min_expires", registrar.min_expires, "max_expires", registrar.max_expires);
  require_not_greater(section, "min_expires", registrar.min_expires, "default_expires",
                      registrar.default_expires);
  require_not_greater(section, "default_expires", registrar.default_expires, "max_expires",
                      registrar.max_expires);
  section.fail_unknown_keys();
}

void read_limits(ReadState& state, const toml::table& table, LimitsConfig& limits) {
  Section section(state, table, "limits");
  // Below 1 KiB not even a plain REGISTER fits; above 16 MiB one peer could hold that much per connection.
  section.integer<std::size_t>("max_message_size", 1024, 16 * 1024 * 1024, limits.max_message_size);
  section.integer<std::size_t>("max_headers", 16, 4096, limits.max_headers);
  section.integer<std::size_t>("max_connections", 1, 1000000, limits.max_connections);
  section.integer<std::size_t>("max_connections_per_ip", 1, 1000000, limits.max_connections_per_ip);
  section.integer<std::size_t>("max_connections_per_network", 1, 1000000, limits.max_connections_per_network);
  section.integer<std::uint32_t>("connection_idle_timeout", 1, 86400, limits.connection_idle_timeout);
  // Long enough for a TLS handshake and a large message over a slow link; short enough that
  // a slot held by a peer that never finishes comes back soon.
  section.integer<std::uint32_t>("first_message_timeout", 1, 600, limits.first_message_timeout);
  section.integer<std::uint32_t>("message_timeout", 1, 600, limits.message_timeout);
  if (limits.max_connections_per_ip > limits.max_connections) {
    section.fail(section.has("max_connections_per_ip") ? "max_connections_per_ip" : "max_connections",
                 "max_connections_per_ip (" + std::to_string(limits.max_connections_per_ip) +
                     ") must not be greater than max_connections (" + std::to_string(limits.max_connections) +
                     ")");
  }
  if (limits.max_connections_per_network < limits.max_connections_per_ip) {
    // Unset, the network cap follows a per-address cap raised above its default; set, it must
    // not be below it (it would silently lower the per-address cap).
    if (section.has("max_connections_per_network")) {
      section.fail("max_connections_per_network", "max_connections_per_network (" +
                                                      std::to_string(limits.max_connections_per_network) +
                                                      ") must not be less than max_connections_per_ip (" +
                                                      std::to_string(limits.max_connections_per_ip) + ")");
    } else {
      limits.max_connections_per_network = limits.max_connections_per_ip;
    }
  }
  section.fail_unknown_keys();
}

void read_messages(ReadState& state, const toml::table& table, MessagesConfig& messages) {
  Section section(state, table, "messages");
  // The body must fit in a message: at most max_message_size (16 MiB) in any case.
  section.integer<std::size_t>("max_body_size", 0, 16 * 1024 * 1024, messages.max_body_size);
  section.integer<std::size_t>("max_stored_per_user", 0, 1000000, messages.max_stored_per_user);
  section.integer<std::size_t>("max_stored_bytes_per_user", 0, std::size_t{1} << 32,
                               messages.max_stored_bytes_per_user);
  section.integer<std::size_t>("max_stored_from_outsiders_per_user", 0, 1000000,
                               messages.max_stored_from_outsiders_per_user);
  section.integer<std::size_t>("max_stored_bytes_from_outsiders_per_user", 0, std::size_t{1} << 32,
                               messages.max_stored_bytes_from_outsiders_per_user);
  section.integer<std::size_t>("max_stored_per_outsider_sender", 0, 1000000,
                               messages.max_stored_per_outsider_sender);
  section.integer<std::uint32_t>("max_age_days", 1, 3650, messages.max_age_days);
  // RFC 3261 §17.1.2.2: the sender's Timer F is 64*T1 = 32 s; the answer must come before.
  section.integer<std::uint32_t>("delivery_timeout", 0, 30, messages.delivery_timeout);
  section.fail_unknown_keys();
}

void read_proxy(ReadState& state, const toml::table& table, ProxyConfig& proxy) {
  Section section(state, table, "proxy");
  section.boolean("recurse_on_redirect", proxy.recurse_on_redirect);
  section.integer<std::uint32_t>("max_redirect_targets", 0, 20, proxy.max_redirect_targets);
  section.integer<std::uint32_t>("blocklist_ttl", 0, 3600, proxy.blocklist_ttl);
  section.integer<std::uint32_t>("blocklist_max_retry_after", 0, 86400, proxy.blocklist_max_retry_after);
  section.integer<std::uint32_t>("blocklist_size", 0, 1000000, proxy.blocklist_size);
  section.fail_unknown_keys();
}

void read_websocket(ReadState& state, const toml::table& table, WebSocketConfig& websocket) {
  Section section(state, table, "websocket");
  if (section.string_array("allowed_origins", websocket.allowed_origins)) {
    for (const std::string& origin : websocket.allowed_origins) {
      // RFC 6454 §6.2: scheme "://" host [":" port], nothing after; a browser sends exactly that.
      const std::size_t scheme_end = origin.find("://");
      const bool serialised = scheme_end != std::string::npos && scheme_end > 0 &&
                              origin.size() > scheme_end + 3 &&
                              origin.find('/', scheme_end + 3) == std::string::npos;
      if (origin != "*" && !serialised) {
        section.fail("allowed_origins", "'" + origin +
                                            "' is not an origin like \"https://phone.example.com\" (scheme, "
                                            "host, optional port, no path) or \"*\"");
        break;
      }
    }
  }
  section.fail_unknown_keys();
}

void read_tls(ReadState& state, const toml::table& table, TlsConfig& tls) {
  Section section(state, table, "tls");
  read_file_path(state, section, "ca_file", tls.ca_file);
  section.fail_unknown_keys();
}

Config read_config(ReadState& state, const toml::table& document) {
  Section root(state, document, "");
  Config config;
  root.integer<unsigned>("workers", 0, kMaxWorkers, config.workers);
  root.choice("log_level",
              {{"trace", LogLevel::trace},
               {"debug", LogLevel::debug},
               {"info", LogLevel::info},
               {"warn", LogLevel::warn},
               {"error", LogLevel::error}},
              config.log_level);
  root.string("data_dir", config.data_dir);
  // Written or default, relative to the config's folder (see load_config).
  config.data_dir = state.resolve(config.data_dir);
  read_domains(root, config);
  read_listen(state, root, config);
  if (const toml::table* registrar = root.table("registrar"))
    read_registrar(state, *registrar, config.registrar);
  if (const toml::table* limits = root.table("limits")) read_limits(state, *limits, config.limits);
  if (const toml::table* messages = root.table("messages")) read_messages(state, *messages, config.messages);
  if (const toml::table* tls = root.table("tls")) read_tls(state, *tls, config.tls);
  if (const toml::table* dns = root.table("dns")) read_dns(state, *dns, config.dns);
  if (const toml::table* proxy = root.table("proxy")) read_proxy(state, *proxy, config.proxy);
  if (const toml::table* websocket = root.table("websocket"))
    read_websocket(state, *websocket, config.websocket);
  if (const toml::table* security = root.table("security")) read_security(state, *security, config.security);
  if (const toml::table* dialplan = root.table("dialplan")) read_dialplan(state, *dialplan, config.dialplan);
  read_trunks(state, root, config.trunks);
  check_trunk_routes(state, document, config.trunks, config.dialplan.routes);
  root.fail_unknown_keys();
  return config;
}

}  // namespace

std::string_view to_string(Transport transport) {
  switch (transport) {
    case Transport::udp: return "udp";
    case Transport::tcp: return "tcp";
    case Transport::tls: return "tls";
    case Transport::ws: return "ws";
    case Transport::wss: return "wss";
  }
  return "?";
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::trace: return "trace";
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warn: return "warn";
    case LogLevel::error: return "error";
  }
  return "?";
}

tl::expected<Config, ConfigError> parse_config(std::string_view text, const std::string& file_name,
                                               const std::filesystem::path& base_dir, ConfigFiles files) {
  toml::table document;
  // toml++ reports syntax errors by throwing; this is the only place its exceptions can come
  // from, and they stop here as an error value.
  try {
    document = toml::parse(text, file_name);
  } catch (const toml::parse_error& error) {
    return tl::unexpected(
        ConfigError{file_name, error.source().begin.line, {}, std::string(error.description())});
  }
  ReadState state{file_name, {}, base_dir, files == ConfigFiles::checked};
  Config config = read_config(state, document);
  if (state.first_error) return tl::unexpected(std::move(*state.first_error));
  return config;
}

tl::expected<Config, ConfigError> load_config(const std::filesystem::path& file, ConfigFiles files) {
  const std::string name = file.string();
  std::error_code error;
  const auto status = std::filesystem::status(file, error);
  if (!std::filesystem::exists(status)) return tl::unexpected(ConfigError{name, 0, {}, "no such file"});
  if (std::filesystem::is_directory(status)) {
    return tl::unexpected(ConfigError{name, 0, {}, "is a directory, not a config file"});
  }
  std::ifstream stream(file, std::ios::binary);
  std::string text;
  if (stream) text.assign(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
  if (!stream || stream.bad()) {
    return tl::unexpected(ConfigError{name, 0, {}, std::string("cannot read: ") + std::strerror(errno)});
  }
  // Absolute, so the paths stay right whatever directory the process later works in.
  const std::filesystem::path folder = std::filesystem::absolute(file, error).parent_path();
  if (error) return tl::unexpected(ConfigError{name, 0, {}, "cannot resolve its folder: " + error.message()});
  return parse_config(text, name, folder, files);
}

unsigned resolved_workers(const Config& config) {
  if (config.workers != 0) return config.workers;
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace osprey::app
