#pragma once
// The server configuration: what `osprey serve` reads from its TOML file (examples/osprey.toml
// is the documented default). Loading validates everything up front, so a server that starts
// never meets a bad value later, and every mistake is reported with its file, line and key.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "app/config_error.hpp"
#include "app/dns_config.hpp"
#include "app/security_config.hpp"

namespace osprey::app {

enum class Transport : std::uint8_t { udp, tcp, tls, ws, wss };
enum class LogLevel : std::uint8_t { trace, debug, info, warn, error };

std::string_view to_string(Transport transport);
std::string_view to_string(LogLevel level);

struct ListenConfig {
  Transport transport = Transport::udp;
  std::string address = "0.0.0.0";  // an IPv4 or IPv6 literal, without brackets
  std::uint16_t port = 5060;        // default 5060, 5061 for TLS (RFC 3261 §18.2.1), 80/443 for ws/wss
  // TLS and WSS only: PEM files, resolved like data_dir; the server's loader has checked that
  // both exist.
  std::string certificate;
  std::string private_key;
};

struct RegistrarConfig {
  // RFC 3261 §10.3: the registrar answers 423 (Interval Too Brief) below min_expires and
  // shortens anything above max_expires; default_expires applies when the client gives none.
  std::uint32_t min_expires = 60;
  std::uint32_t max_expires = 3600;
  std::uint32_t default_expires = 3600;
  std::uint32_t max_contacts_per_aor = 10;
  // RFC 5626 §4.4.1: the Flow-Timer given to a UA registering with outbound directly over UDP,
  // and over a connection (TCP, TLS).
  std::uint32_t flow_timer_udp = 29;
  std::uint32_t flow_timer_stream = 120;
  // RFC 3261 §10.3 step 1: proxy a REGISTER for a domain not served here (it then needs an
  // account of ours, 407) instead of answering 403.
  bool forward_foreign_register = false;
};

struct LimitsConfig {
  std::size_t max_message_size = 65536;
  std::size_t max_headers = 256;
  // Stream connections (TCP and TLS) over all workers, and from one IP address: a peer that
  // opens connections and sends nothing cannot take more than its share.
  std::size_t max_connections = 10000;
  std::size_t max_connections_per_ip = 64;
  // From one IPv4 /24 or IPv6 /64: many addresses of one network are still one party. When
  // not set, max_connections_per_ip if that is higher.
  std::size_t max_connections_per_network = 256;
  // A connection with no bytes in either direction for this long is closed. Above the 120 s
  // keep-alive interval RFC 5626 §4.4.1 suggests for connection-oriented flows.
  std::uint32_t connection_idle_timeout = 300;
  // Seconds an accepted connection has to deliver its first complete message (TLS handshake
  // included), and any later message to complete once its first byte arrived: a peer sending
  // a byte at a time cannot hold a connection (net/receive_deadline.hpp).
  std::uint32_t first_message_timeout = 10;
  std::uint32_t message_timeout = 20;
};

// RFC 3428 instant messaging and its store-and-forward.
struct MessagesConfig {
  std::size_t max_body_size = 64 * 1024;  // bytes; a larger MESSAGE body gets 413
  // What one offline user may have waiting: more messages gets 486, more bytes 507.
  std::size_t max_stored_per_user = 1000;
  std::size_t max_stored_bytes_per_user = 10 * 1024 * 1024;
  // Messages from senders who are not authenticated account holders (outsiders) count against
  // a budget of their own, so they never take the room above (store::MessageLimits).
  std::size_t max_stored_from_outsiders_per_user = 100;
  std::size_t max_stored_bytes_from_outsiders_per_user = 1024 * 1024;
  std::size_t max_stored_per_outsider_sender = 20;  // per sender AOR, per recipient
  std::uint32_t max_age_days = 7;                   // undelivered messages older than this are dropped
  // Seconds a MESSAGE to a served user waits for any of its devices to answer before it is
  // stored and answered 202 (im::ImLimits::delivery_timeout); 0: only once every branch failed.
  // Below the sender's Timer F (32 s), or the sender gives up first and sends it again.
  std::uint32_t delivery_timeout = 4;
};

// [proxy]: where forwarded requests go when a place fails or redirects.
struct ProxyConfig {
  // RFC 3261 §16.5 / §16.7 step 4: the Contacts of a 3xx join the target set, judged as any
  // target (dial policy, gateway, our own domains, no private address from a public 3xx).
  bool recurse_on_redirect = true;
  std::uint32_t max_redirect_targets = 5;  // per request; 0: none
  // RFC 3263 §4.3: a destination that failed (transport error, timeout) is tried last for this
  // many seconds (0: never); a 503's Retry-After for as long as it says, at most the second.
  std::uint32_t blocklist_ttl = 60;
  std::uint32_t blocklist_max_retry_after = 3600;
  std::uint32_t blocklist_size = 4096;  // destinations remembered per worker
};

struct TlsConfig {
  // CA certificates (PEM) that verify the servers osprey connects to over TLS; empty: the
  // system's default CA store.
  std::string ca_file;
};

// [websocket]: SIP over WebSocket (RFC 7118) listeners.
struct WebSocketConfig {
  // The Origins (like "https://phone.example.com") whose web pages may connect; "*": any.
  // Empty (the default): no browser page may; clients that send no Origin (not browsers) may.
  std::vector<std::string> allowed_origins;
};

struct Config {
  unsigned workers = 0;  // 0: one per core (see resolved_workers)
  LogLevel log_level = LogLevel::info;
  std::string data_dir = "data";     // where the SQLite store lives; relative: to the config's folder
  std::vector<std::string> domains;  // the SIP domains this server is responsible for; never empty
  std::vector<ListenConfig> listen;  // never empty; UDP and TCP on 0.0.0.0:5060 when omitted
  RegistrarConfig registrar;
  LimitsConfig limits;
  MessagesConfig messages;
  TlsConfig tls;
  ProxyConfig proxy;
  WebSocketConfig websocket;
  DnsConfig dns;  // [dns]: the servers and limits of the RFC 3263 resolver
  SecurityConfig security;
  DialplanConfig dialplan;
  std::vector<sbc::Trunk> trunks;  // [[trunk]]: SBC mode's peers (app/trunk_config.hpp)
};

// What a command needs of the files a config names.
enum class ConfigFiles : std::uint8_t {
  // The server (serve, check-config): TLS certificate, key and CA file must exist.
  checked,
  // The tools that only reach data_dir (osprey user, osprey ban): a certificate missing, or
  // readable only by the server's user, must not keep an administrator from managing accounts.
  unchecked,
};

// Reads and validates `file`. Relative paths inside it (data_dir, TLS certificate, private_key
// and ca_file) are resolved against the folder the file is in, never the working directory,
// so `osprey user list --config /etc/osprey/osprey.toml` reaches the same data_dir from
// anywhere; the Config holds them absolute.
tl::expected<Config, ConfigError> load_config(const std::filesystem::path& file,
                                              ConfigFiles files = ConfigFiles::checked);

// Same, from text already in memory; `file_name` is only used in error messages. Relative paths
// are resolved against `base_dir`, or kept as written when it is empty.
tl::expected<Config, ConfigError> parse_config(std::string_view text, const std::string& file_name,
                                               const std::filesystem::path& base_dir = {},
                                               ConfigFiles files = ConfigFiles::checked);

// `workers`, with 0 replaced by the number of cores (at least 1).
unsigned resolved_workers(const Config& config);

}  // namespace osprey::app
