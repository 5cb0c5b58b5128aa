#include "app/config.hpp"
#include "app/server_settings_from_config.hpp"

#include <gtest/gtest.h>

#include "temp_dir.hpp"

namespace osprey::app {
namespace {

using test_support::TempDir;

const std::filesystem::path kExample = std::filesystem::path(OSPREY_SOURCE_DIR) / "examples/osprey.toml";

class ConfigLoader : public ::testing::Test {
 protected:
  // Loads `text` from a file named osprey.toml in a fresh directory.
  tl::expected<Config, ConfigError> load(std::string_view text) {
    return load_config(dir_.write("osprey.toml", text));
  }

  // The one-line message for `text`, with the temp directory stripped so expectations read like
  // what a user in that directory would see.
  std::string error_for(std::string_view text) {
    const auto config = load(text);
    if (config) return "(loaded without error)";
    std::string line = to_string(config.error());
    const std::string prefix = dir_.path().string() + "/";
    if (line.rfind(prefix, 0) == 0) line.erase(0, prefix.size());
    return line;
  }

  TempDir dir_;
};

TEST(ConfigError, FormatsAsOneLine) {
  EXPECT_EQ(to_string(ConfigError{"osprey.toml", 12, "registrar.max_expires",
                                  "must be an integer between 60 and 86400"}),
            "osprey.toml:12: key 'registrar.max_expires': must be an integer between 60 and 86400");
  EXPECT_EQ(to_string(ConfigError{"osprey.toml", 0, "domains", "is required"}),
            "osprey.toml: key 'domains': is required");
  EXPECT_EQ(to_string(ConfigError{"a.toml", 3, "", "bad syntax"}), "a.toml:3: bad syntax");
}

TEST_F(ConfigLoader, ExampleFileParses) {
  const auto config = load_config(kExample);
  ASSERT_TRUE(config) << to_string(config.error());
  EXPECT_EQ(config->domains, (std::vector<std::string>{"localhost", "127.0.0.1"}));
  // `make run` starts from the repository root; the example's data_dir, relative to its own
  // folder, is the repository's data/ (ignored by git) whatever the working directory.
  EXPECT_EQ(config->data_dir,
            (std::filesystem::path(OSPREY_SOURCE_DIR) / "data").lexically_normal().string());
  EXPECT_EQ(config->log_level, LogLevel::info);
  ASSERT_EQ(config->listen.size(), 2u);
  EXPECT_EQ(config->listen[0].transport, Transport::udp);
  EXPECT_EQ(config->listen[1].transport, Transport::tcp);
  for (const ListenConfig& listen : config->listen) {
    EXPECT_EQ(listen.address, "127.0.0.1");
    EXPECT_EQ(listen.port, 5060);
  }
}

TEST_F(ConfigLoader, DefaultsWhenOmitted) {
  const auto config = load("domains = [\"example.com\"]\n");
  ASSERT_TRUE(config) << to_string(config.error());
  EXPECT_EQ(config->workers, 0u);
  EXPECT_GE(resolved_workers(*config), 1u);
  EXPECT_EQ(config->log_level, LogLevel::info);
  // The default too is beside the config file, not in the working directory.
  EXPECT_EQ(config->data_dir, (dir_.path() / "data").lexically_normal().string());
  ASSERT_EQ(config->listen.size(), 2u);
  EXPECT_EQ(config->listen[0].transport, Transport::udp);
  EXPECT_EQ(config->listen[1].transport, Transport::tcp);
  for (const ListenConfig& listen : config->listen) {
    EXPECT_EQ(listen.address, "0.0.0.0");
    EXPECT_EQ(listen.port, 5060);
  }
  EXPECT_EQ(config->registrar.min_expires, 60u);
  EXPECT_EQ(config->registrar.max_expires, 3600u);
  EXPECT_EQ(config->registrar.default_expires, 3600u);
  EXPECT_EQ(config->registrar.max_contacts_per_aor, 10u);
  EXPECT_EQ(config->registrar.flow_timer_udp, 29u);  // RFC 5626 §4.4.1
  EXPECT_EQ(config->registrar.flow_timer_stream, 120u);
  EXPECT_FALSE(config->registrar.forward_foreign_register);  // no relay unless asked for
  EXPECT_EQ(config->limits.max_message_size, 65536u);
  EXPECT_EQ(config->limits.max_headers, 256u);
  EXPECT_EQ(config->limits.max_connections_per_network, 256u);
  EXPECT_EQ(config->limits.first_message_timeout, 10u);
  EXPECT_EQ(config->limits.message_timeout, 20u);
}

TEST_F(ConfigLoader, NetworkCapFollowsARaisedAddressCapUnlessSet) {
  // Unset, it never lowers a per-address cap raised above 256; set below it, it is an error.
  auto config = load("domains = [\"a\"]\n[limits]\nmax_connections_per_ip = 2000\n");
  ASSERT_TRUE(config) << to_string(config.error());
  EXPECT_EQ(config->limits.max_connections_per_network, 2000u);
  config = load("domains = [\"a\"]\n[limits]\nmax_connections_per_ip = 8\n");
  ASSERT_TRUE(config) << to_string(config.error());
  EXPECT_EQ(config->limits.max_connections_per_network, 256u);
  EXPECT_EQ(
      error_for(
          "domains = [\"a\"]\n[limits]\nmax_connections_per_ip = 20\nmax_connections_per_network = 10\n"),
      "osprey.toml:4: key 'limits.max_connections_per_network': max_connections_per_network (10) must not "
      "be less than max_connections_per_ip (20)");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[limits]\nfirst_message_timeout = 0\n"),
            "osprey.toml:3: key 'limits.first_message_timeout': must be an integer between 1 and 600");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[limits]\nmessage_timeout = 601\n"),
            "osprey.toml:3: key 'limits.message_timeout': must be an integer between 1 and 600");
}

TEST_F(ConfigLoader, ReadsEveryKey) {
  dir_.write("cert.pem", "x");
  dir_.write("key.pem", "x");
  const std::string cert = (dir_.path() / "cert.pem").string();
  const std::string key = (dir_.path() / "key.pem").string();
  const auto config = load(
      "workers = 3\nlog_level = \"debug\"\ndata_dir = \"/var/lib/osprey\"\n"
      "domains = [\"example.com\", \"[2001:db8::1]\"]\n"
      "[[listen]]\ntransport = \"udp\"\naddress = \"::1\"\nport = 5070\n"
      "[[listen]]\ntransport = \"tls\"\naddress = \"0.0.0.0\"\ncertificate = \"" +
      cert + "\"\nprivate_key = \"" + key +
      "\"\n"
      "[registrar]\nmin_expires = 120\nmax_expires = 7200\ndefault_expires = 600\nmax_contacts_per_aor = 3\n"
      "flow_timer_udp = 20\nflow_timer_stream = 300\nforward_foreign_register = true\n"
      "[limits]\nmax_message_size = 4096\nmax_headers = 64\nmax_connections = 500\n"
      "max_connections_per_ip = 5\nconnection_idle_timeout = 30\nmax_connections_per_network = 50\n"
      "first_message_timeout = 5\nmessage_timeout = 15\n"
      "[tls]\nca_file = \"" +
      cert + "\"\n");
  ASSERT_TRUE(config) << to_string(config.error());
  EXPECT_EQ(config->workers, 3u);
  EXPECT_EQ(resolved_workers(*config), 3u);
  EXPECT_EQ(config->log_level, LogLevel::debug);
  EXPECT_EQ(config->data_dir, "/var/lib/osprey");
  EXPECT_EQ(config->domains.size(), 2u);
  ASSERT_EQ(config->listen.size(), 2u);
  EXPECT_EQ(config->listen[0].address, "::1");
  EXPECT_EQ(config->listen[0].port, 5070);
  EXPECT_EQ(config->listen[1].transport, Transport::tls);
  EXPECT_EQ(config->listen[1].port, 5061);  // the SIPS default
  EXPECT_EQ(config->listen[1].certificate, cert);
  EXPECT_EQ(config->listen[1].private_key, key);
  EXPECT_EQ(config->registrar.min_expires, 120u);
  EXPECT_EQ(config->registrar.max_expires, 7200u);
  EXPECT_EQ(config->registrar.default_expires, 600u);
  EXPECT_EQ(config->registrar.max_contacts_per_aor, 3u);
  EXPECT_EQ(config->registrar.flow_timer_udp, 20u);
  EXPECT_EQ(config->registrar.flow_timer_stream, 300u);
  EXPECT_TRUE(config->registrar.forward_foreign_register);
  EXPECT_EQ(config->limits.max_message_size, 4096u);
  EXPECT_EQ(config->limits.max_headers, 64u);
  EXPECT_EQ(config->limits.max_connections, 500u);
  EXPECT_EQ(config->limits.max_connections_per_ip, 5u);
  EXPECT_EQ(config->limits.connection_idle_timeout, 30u);
  EXPECT_EQ(config->limits.max_connections_per_network, 50u);
  EXPECT_EQ(config->limits.first_message_timeout, 5u);
  EXPECT_EQ(config->limits.message_timeout, 15u);
  EXPECT_EQ(config->tls.ca_file, cert);
}

// Changes the working directory for one scope (the tests of this binary run one at a time).
class WorkingDirectory {
 public:
  explicit WorkingDirectory(const std::filesystem::path& dir) : previous_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~WorkingDirectory() {
    std::error_code ignored;
    std::filesystem::current_path(previous_, ignored);
  }
  WorkingDirectory(const WorkingDirectory&) = delete;
  WorkingDirectory& operator=(const WorkingDirectory&) = delete;

 private:
  std::filesystem::path previous_;
};

TEST_F(ConfigLoader, RelativePathsAreResolvedAgainstTheConfigsFolder) {
  std::filesystem::create_directories(dir_.path() / "etc" / "tls");
  std::filesystem::create_directories(dir_.path() / "elsewhere");
  dir_.write("etc/tls/cert.pem", "x");
  dir_.write("etc/tls/key.pem", "x");
  dir_.write("etc/tls/ca.pem", "x");
  dir_.write(
      "etc/osprey.toml",
      "domains = [\"a\"]\ndata_dir = \"../var/db\"\n"
      "[[listen]]\ntransport = \"tls\"\ncertificate = \"tls/cert.pem\"\nprivate_key = \"tls/key.pem\"\n"
      "[tls]\nca_file = \"tls/ca.pem\"\n");
  // Loaded by a relative name from another directory, as `osprey user list --config` may be.
  const WorkingDirectory elsewhere(dir_.path() / "elsewhere");
  const auto config = load_config("../etc/osprey.toml");
  ASSERT_TRUE(config) << to_string(config.error());
  const std::filesystem::path root = dir_.path().lexically_normal();
  EXPECT_EQ(config->data_dir, (root / "var" / "db").string());
  ASSERT_EQ(config->listen.size(), 1u);
  EXPECT_EQ(config->listen[0].certificate, (root / "etc" / "tls" / "cert.pem").string());
  EXPECT_EQ(config->listen[0].private_key, (root / "etc" / "tls" / "key.pem").string());
  EXPECT_EQ(config->tls.ca_file, (root / "etc" / "tls" / "ca.pem").string());
}

TEST_F(ConfigLoader, AbsolutePathsStayAsWritten) {
  const auto config = load("domains = [\"a\"]\ndata_dir = \"/var/lib/osprey\"\n");
  ASSERT_TRUE(config) << to_string(config.error());
  EXPECT_EQ(config->data_dir, "/var/lib/osprey");
  // Text without a file behind it has no folder: its paths are kept as written.
  const auto parsed = parse_config("domains = [\"a\"]\ndata_dir = \"db\"\n", "inline.toml");
  ASSERT_TRUE(parsed) << to_string(parsed.error());
  EXPECT_EQ(parsed->data_dir, "db");
}

TEST_F(ConfigLoader, MissingCertificateNamesWhereItLooked) {
  EXPECT_EQ(error_for("domains = [\"a\"]\n[[listen]]\ntransport = \"tls\"\ncertificate = \"tls/c.pem\"\n"
                      "private_key = \"tls/k.pem\"\n"),
            "osprey.toml:4: key 'listen[0].certificate': '" + (dir_.path() / "tls/c.pem").string() +
                "' is not a readable file");
}

// `osprey user` and `osprey ban` reach only data_dir: a certificate they cannot see must not
// stop them, while serve and check-config still refuse it.
TEST_F(ConfigLoader, ToolsLoadAConfigWhoseCertificatesAreMissing) {
  const auto file = dir_.write("osprey.toml",
                               "domains = [\"a\"]\n[[listen]]\ntransport = \"tls\"\ncertificate = \"c.pem\"\n"
                               "private_key = \"k.pem\"\n[tls]\nca_file = \"ca.pem\"\n");
  EXPECT_FALSE(load_config(file));
  const auto config = load_config(file, ConfigFiles::unchecked);
  ASSERT_TRUE(config) << to_string(config.error());
  EXPECT_EQ(config->data_dir, (dir_.path() / "data").lexically_normal().string());
  // Everything else is still checked.
  const auto bad = dir_.write("bad.toml", "domains = [\"a\"]\n[[listen]]\ntransport = \"tls\"\n");
  EXPECT_FALSE(load_config(bad, ConfigFiles::unchecked));
}

TEST_F(ConfigLoader, MissingFile) {
  const auto config = load_config(dir_.path() / "absent.toml");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().line, 0u);
  EXPECT_EQ(config.error().message, "no such file");
}

TEST_F(ConfigLoader, SyntaxErrorHasLine) {
  const auto config = load("domains = [\"a\"]\n\nworkers = = 2\n");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().line, 3u);
  EXPECT_EQ(config.error().key, "");
  EXPECT_NE(to_string(config.error()).find("osprey.toml:3: "), std::string::npos);
}

TEST_F(ConfigLoader, ErrorCarriesFileLineAndKey) {
  const auto config = load("domains = [\"a\"]\n[registrar]\nmax_expires = 100000\n");
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().file, (dir_.path() / "osprey.toml").string());
  EXPECT_EQ(config.error().line, 3u);
  EXPECT_EQ(config.error().key, "registrar.max_expires");
  EXPECT_EQ(config.error().message, "must be an integer between 60 and 86400");
}

TEST_F(ConfigLoader, UnknownKeys) {
  EXPECT_EQ(error_for("domains = [\"a\"]\nworker = 2\n"),
            "osprey.toml:2: key 'worker': unknown key (did you mean 'workers'?)");
  EXPECT_EQ(error_for("domains = [\"a\"]\ncolour = \"blue\"\n"), "osprey.toml:2: key 'colour': unknown key");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[registrar]\nmax_expire = 100\n"),
            "osprey.toml:3: key 'registrar.max_expire': unknown key (did you mean 'max_expires'?)");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[registar]\nmax_expires = 100\n"),
            "osprey.toml:2: key 'registar': unknown key (did you mean 'registrar'?)");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[[listen]]\ntransport = \"udp\"\n[[listen]]\ntransport = \"tcp\"\n"
                      "adress = \"::\"\n"),
            "osprey.toml:6: key 'listen[1].adress': unknown key (did you mean 'address'?)");
  // Two unknown keys: the first in the file is named, not the first alphabetically.
  EXPECT_EQ(error_for("domains = [\"a\"]\nzzz = 1\naaa = 2\n"), "osprey.toml:2: key 'zzz': unknown key");
}

TEST_F(ConfigLoader, BadPort) {
  EXPECT_EQ(error_for("domains = [\"a\"]\n[[listen]]\ntransport = \"udp\"\nport = 70000\n"),
            "osprey.toml:4: key 'listen[0].port': must be an integer between 1 and 65535");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[[listen]]\ntransport = \"udp\"\nport = 0\n"),
            "osprey.toml:4: key 'listen[0].port': must be an integer between 1 and 65535");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[[listen]]\ntransport = \"udp\"\nport = \"5060\"\n"),
            "osprey.toml:4: key 'listen[0].port': must be an integer between 1 and 65535");
}

TEST_F(ConfigLoader, BadTransport) {
  EXPECT_EQ(error_for("domains = [\"a\"]\n[[listen]]\ntransport = \"sctp\"\n"),
            "osprey.toml:3: key 'listen[0].transport': must be one of udp, tcp, tls, ws, wss, not 'sctp'");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[[listen]]\ntransport = 1\n"),
            "osprey.toml:3: key 'listen[0].transport': must be one of udp, tcp, tls, ws, wss");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[[listen]]\naddress = \"::\"\n"),
            "osprey.toml:2: key 'listen[0].transport': is required (udp, tcp, tls, ws or wss)");
}

TEST_F(ConfigLoader, BadListen) {
  EXPECT_EQ(error_for("domains = [\"a\"]\n[[listen]]\ntransport = \"udp\"\naddress = \"localhost\"\n"),
            "osprey.toml:4: key 'listen[0].address': 'localhost' is not an IPv4 or IPv6 address literal "
            "(like 0.0.0.0 or ::1, no brackets)");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[[listen]]\ntransport = \"udp\"\naddress = \"[::1]\"\n"),
            "osprey.toml:4: key 'listen[0].address': '[::1]' is not an IPv4 or IPv6 address literal "
            "(like 0.0.0.0 or ::1, no brackets)");
  EXPECT_EQ(error_for("domains = [\"a\"]\nlisten = []\n"),
            "osprey.toml:2: key 'listen': must have at least one [[listen]] entry");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[listen]\ntransport = \"udp\"\n"),
            "osprey.toml:2: key 'listen': must be an array of tables: write [[listen]]");
  EXPECT_EQ(
      error_for("domains = [\"a\"]\n[[listen]]\ntransport = \"udp\"\n[[listen]]\ntransport = \"udp\"\n"),
      "osprey.toml:4: key 'listen[1].port': listen[0] already binds udp on 0.0.0.0 port 5060");
  // UDP and TCP on one port are two different sockets.
  EXPECT_TRUE(load("domains = [\"a\"]\n[[listen]]\ntransport = \"udp\"\n[[listen]]\ntransport = \"tcp\"\n"));
}

TEST_F(ConfigLoader, TlsNeedsExistingFiles) {
  EXPECT_EQ(error_for("domains = [\"a\"]\n[[listen]]\ntransport = \"tls\"\n"),
            "osprey.toml:2: key 'listen[0].certificate': is required for transport \"tls\" and \"wss\"");
  EXPECT_EQ(
      error_for("domains = [\"a\"]\n[[listen]]\ntransport = \"tls\"\ncertificate = \"/nonexistent/c.pem\"\n"
                "private_key = \"/nonexistent/k.pem\"\n"),
      "osprey.toml:4: key 'listen[0].certificate': '/nonexistent/c.pem' is not a readable file");
  const std::string cert = dir_.write("cert.pem", "x").string();
  EXPECT_EQ(error_for("domains = [\"a\"]\n[[listen]]\ntransport = \"tls\"\ncertificate = \"" + cert + "\"\n"),
            "osprey.toml:2: key 'listen[0].private_key': is required for transport \"tls\" and \"wss\"");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[[listen]]\ntransport = \"udp\"\ncertificate = \"" + cert + "\"\n"),
            "osprey.toml:4: key 'listen[0].certificate': is only used with transport \"tls\" and \"wss\"");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[[listen]]\ntransport = \"wss\"\n"),
            "osprey.toml:2: key 'listen[0].certificate': is required for transport \"tls\" and \"wss\"");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[[listen]]\ntransport = \"ws\"\ncertificate = \"" + cert + "\"\n"),
            "osprey.toml:4: key 'listen[0].certificate': is only used with transport \"tls\" and \"wss\"");
}

// RFC 7118 listeners: WebSocket default ports, wss with the one TLS certificate, and the Origin
// allowed-list of [websocket].
TEST_F(ConfigLoader, WebSocketListenersAndOrigins) {
  const std::string cert = dir_.write("cert.pem", "x").string();
  const std::string key = dir_.write("key.pem", "x").string();
  const std::string other = dir_.write("other.pem", "x").string();
  const auto config = load(
      "domains = [\"a\"]\n[[listen]]\ntransport = \"ws\"\n"
      "[[listen]]\ntransport = \"wss\"\ncertificate = \"" +
      cert + "\"\nprivate_key = \"" + key +
      "\"\n[websocket]\nallowed_origins = [\"https://phone.example.com\", \"*\"]\n");
  ASSERT_TRUE(config) << to_string(config.error());
  ASSERT_EQ(config->listen.size(), 2u);
  EXPECT_EQ(config->listen[0].transport, Transport::ws);
  EXPECT_EQ(config->listen[0].port, 80);
  EXPECT_EQ(config->listen[1].transport, Transport::wss);
  EXPECT_EQ(config->listen[1].port, 443);
  EXPECT_EQ(config->listen[1].certificate, cert);
  EXPECT_EQ(config->websocket.allowed_origins, (std::vector<std::string>{"https://phone.example.com", "*"}));
  // Default: no origin is listed.
  EXPECT_TRUE(load("domains = [\"a\"]\n")->websocket.allowed_origins.empty());
  EXPECT_EQ(error_for("domains = [\"a\"]\n[websocket]\nallowed_origins = [\"https://x.example/page\"]\n"),
            "osprey.toml:3: key 'websocket.allowed_origins': 'https://x.example/page' is not an origin like "
            "\"https://phone.example.com\" (scheme, host, optional port, no path) or \"*\"");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[websocket]\ncolour = 1\n"),
            "osprey.toml:3: key 'websocket.colour': unknown key");
  // One certificate for TLS and WSS alike (one context, reloaded as a whole).
  EXPECT_EQ(error_for("domains = [\"a\"]\n[[listen]]\ntransport = \"tls\"\ncertificate = \"" + cert +
                      "\"\nprivate_key = \"" + key + "\"\n[[listen]]\ntransport = \"wss\"\ncertificate = \"" +
                      other + "\"\nprivate_key = \"" + key + "\"\n"),
            "osprey.toml:8: key 'listen[1].certificate': every TLS and WSS listener must use the same "
            "certificate and private_key as listen[0]");
  // ws shares the TCP socket space: the same port twice cannot bind.
  EXPECT_FALSE(
      load("domains = [\"a\"]\n[[listen]]\ntransport = \"tcp\"\nport = 8080\n"
           "[[listen]]\ntransport = \"ws\"\nport = 8080\n"));
}

TEST_F(ConfigLoader, MinGreaterThanMax) {
  EXPECT_EQ(
      error_for("domains = [\"a\"]\n[registrar]\nmin_expires = 600\nmax_expires = 300\n"),
      "osprey.toml:3: key 'registrar.min_expires': must not be greater than registrar.max_expires (300)");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[registrar]\nmin_expires = 7200\n"),
            "osprey.toml:3: key 'registrar.min_expires': must not be greater than registrar.max_expires "
            "(3600, the default)");
  // Only max_expires is written, and it is below the default default_expires: blame the line written.
  EXPECT_EQ(error_for("domains = [\"a\"]\n[registrar]\nmax_expires = 600\n"),
            "osprey.toml:3: key 'registrar.max_expires': must not be less than registrar.default_expires "
            "(3600, the default)");
  // Both written: the lower bound is the one named.
  EXPECT_EQ(
      error_for("domains = [\"a\"]\n[registrar]\nmin_expires = 600\ndefault_expires = 300\n"),
      "osprey.toml:3: key 'registrar.min_expires': must not be greater than registrar.default_expires (300)");
  EXPECT_TRUE(
      load("domains = [\"a\"]\n[registrar]\nmin_expires = 300\nmax_expires = 300\ndefault_expires = 300\n"));
}

TEST_F(ConfigLoader, BadValues) {
  EXPECT_EQ(error_for("domains = [\"a\"]\nworkers = -1\n"),
            "osprey.toml:2: key 'workers': must be an integer between 0 and 1024");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[registrar]\nmin_expires = 60.0\n"),
            "osprey.toml:3: key 'registrar.min_expires': must be an integer between 60 and 86400");
  EXPECT_EQ(error_for("domains = [\"a\"]\nlog_level = \"verbose\"\n"),
            "osprey.toml:2: key 'log_level': must be one of trace, debug, info, warn, error, not 'verbose'");
  EXPECT_EQ(error_for("domains = [\"a\"]\ndata_dir = \"\"\n"),
            "osprey.toml:2: key 'data_dir': must not be empty");
  EXPECT_EQ(error_for("domains = [\"a\"]\nregistrar = 5\n"),
            "osprey.toml:2: key 'registrar': must be a table: write [registrar]");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[limits]\nmax_headers = 5\n"),
            "osprey.toml:3: key 'limits.max_headers': must be an integer between 16 and 4096");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[limits]\nmax_connections = 10\nmax_connections_per_ip = 20\n"),
            "osprey.toml:4: key 'limits.max_connections_per_ip': max_connections_per_ip (20) must not be "
            "greater than max_connections (10)");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[tls]\nca_file = \"/nonexistent/ca.pem\"\n"),
            "osprey.toml:3: key 'tls.ca_file': '/nonexistent/ca.pem' is not a readable file");
}

TEST_F(ConfigLoader, OutsidersMessageQuotas) {
  const auto defaults = load("domains = [\"a\"]\n");
  ASSERT_TRUE(defaults) << to_string(defaults.error());
  EXPECT_EQ(defaults->messages.max_stored_from_outsiders_per_user, 100u);
  EXPECT_EQ(defaults->messages.max_stored_bytes_from_outsiders_per_user, 1024u * 1024u);
  EXPECT_EQ(defaults->messages.max_stored_per_outsider_sender, 20u);
  const auto config = load(
      "domains = [\"a\"]\n[messages]\nmax_stored_from_outsiders_per_user = 7\n"
      "max_stored_bytes_from_outsiders_per_user = 900\nmax_stored_per_outsider_sender = 3\n");
  ASSERT_TRUE(config) << to_string(config.error());
  EXPECT_EQ(config->messages.max_stored_from_outsiders_per_user, 7u);
  EXPECT_EQ(config->messages.max_stored_bytes_from_outsiders_per_user, 900u);
  EXPECT_EQ(config->messages.max_stored_per_outsider_sender, 3u);
  EXPECT_EQ(error_for("domains = [\"a\"]\n[messages]\nmax_stored_per_outsider_sender = -1\n"),
            "osprey.toml:3: key 'messages.max_stored_per_outsider_sender': must be an integer between 0 and "
            "1000000");
}

TEST_F(ConfigLoader, MessageDeliveryTimeoutStaysBelowTheSendersTimerF) {
  const auto defaults = load("domains = [\"a\"]\n");
  ASSERT_TRUE(defaults) << to_string(defaults.error());
  EXPECT_EQ(defaults->messages.delivery_timeout, 4u);
  const auto config = load("domains = [\"a\"]\n[messages]\ndelivery_timeout = 2\n");
  ASSERT_TRUE(config) << to_string(config.error());
  EXPECT_EQ(config->messages.delivery_timeout, 2u);
  EXPECT_EQ(error_for("domains = [\"a\"]\n[messages]\ndelivery_timeout = 32\n"),
            "osprey.toml:3: key 'messages.delivery_timeout': must be an integer between 0 and 30");
}

TEST_F(ConfigLoader, ProxyRecursionAndBlocklistKeys) {
  const auto defaults = load("domains = [\"a\"]\n");
  ASSERT_TRUE(defaults) << to_string(defaults.error());
  EXPECT_TRUE(defaults->proxy.recurse_on_redirect);
  EXPECT_EQ(defaults->proxy.max_redirect_targets, 5u);
  EXPECT_EQ(defaults->proxy.blocklist_ttl, 60u);
  const auto config = load(
      "domains = [\"a\"]\n[proxy]\nrecurse_on_redirect = false\nmax_redirect_targets = 2\n"
      "blocklist_ttl = 30\nblocklist_max_retry_after = 600\nblocklist_size = 100\n");
  ASSERT_TRUE(config) << to_string(config.error());
  const server::ServerSettings settings = server_settings_from(*config);
  EXPECT_FALSE(settings.redirects.recurse);
  EXPECT_EQ(settings.redirects.max_targets, 2u);
  EXPECT_EQ(settings.blocklist.ttl, std::chrono::seconds(30));
  EXPECT_EQ(settings.blocklist.max_retry_after, std::chrono::seconds(600));
  EXPECT_EQ(settings.blocklist.capacity, 100u);
  EXPECT_EQ(error_for("domains = [\"a\"]\n[proxy]\nmax_redirect_targets = 50\n"),
            "osprey.toml:3: key 'proxy.max_redirect_targets': must be an integer between 0 and 20");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[proxy]\nrecurse = true\n").rfind("osprey.toml:3: ", 0), 0u);
}

TEST_F(ConfigLoader, NonceLifetimeTheCountTableCanCover) {
  // The nonce-count table keeps counts for at most an hour: a nonce living longer could
  // outlive its counts and be replayed, so the config refuses it, at its line.
  EXPECT_EQ(error_for("domains = [\"a\"]\n[security]\nnonce_lifetime = 7200\n"),
            "osprey.toml:3: key 'security.nonce_lifetime': must be at most 3565 seconds: the nonce-count "
            "table keeps a nonce's counts for at most 3600 seconds, and a nonce that outlives its counts "
            "could be replayed");
  const auto config = load("domains = [\"a\"]\n[security]\nnonce_lifetime = 3565\n");
  ASSERT_TRUE(config) << to_string(config.error());
  EXPECT_EQ(config->security.nonce_lifetime, 3565u);
}

TEST_F(ConfigLoader, Md5OnlyUserAgents) {
  // Default: the libre clients (baresip), which give up on any challenge that is not MD5.
  const auto defaults = load("domains = [\"a\"]\n");
  ASSERT_TRUE(defaults) << to_string(defaults.error());
  EXPECT_EQ(defaults->security.md5_only_user_agents, (std::vector<std::string>{"baresip", "libre"}));
  EXPECT_EQ(security_settings(defaults->security, defaults->dialplan).md5_only_user_agents,
            (std::vector<std::string>{"baresip", "libre"}));

  const auto config = load("domains = [\"a\"]\n[security]\nmd5_only_user_agents = [\"OldPhone/1\"]\n");
  ASSERT_TRUE(config) << to_string(config.error());
  EXPECT_EQ(config->security.md5_only_user_agents, (std::vector<std::string>{"OldPhone/1"}));
  const auto none = load("domains = [\"a\"]\n[security]\nmd5_only_user_agents = []\n");
  ASSERT_TRUE(none) << to_string(none.error());
  EXPECT_TRUE(none->security.md5_only_user_agents.empty());

  EXPECT_EQ(error_for("domains = [\"a\"]\n[security]\nmd5_only_user_agents = \"baresip\"\n"),
            "osprey.toml:3: key 'security.md5_only_user_agents': must be an array of strings");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[security]\nmd5_only_user_agents = [\"baresip\", \"\"]\n"),
            "osprey.toml:3: key 'security.md5_only_user_agents[1]': must not be empty");
  EXPECT_EQ(error_for("domains = [\"a\"]\n[security]\n\nmd5_only_user_agents = [\" baresip\"]\n"),
            "osprey.toml:4: key 'security.md5_only_user_agents': ' baresip' is not a User-Agent prefix "
            "(printable ASCII, at most 128 characters, no space at either end)");
}

TEST_F(ConfigLoader, Domains) {
  EXPECT_EQ(error_for("workers = 1\n"),
            "osprey.toml: key 'domains': is required: list the SIP domains this server is responsible for");
  EXPECT_EQ(error_for("domains = []\n"), "osprey.toml:1: key 'domains': must list at least one domain");
  EXPECT_EQ(error_for("domains = [\"a\",\n  2]\n"), "osprey.toml:2: key 'domains[1]': must be a string");
  EXPECT_EQ(error_for("domains = \"a\"\n"), "osprey.toml:1: key 'domains': must be an array of strings");
  EXPECT_EQ(
      error_for("domains = [\"bad domain\"]\n"),
      "osprey.toml:1: key 'domains': 'bad domain' is not a host name or IP address (write IPv6 in brackets)");
}

TEST_F(ConfigLoader, BansTakePrefixThresholdAndNeverBanTrustedPeers) {
  const auto config = load(
      "domains = [\"a\"]\n[security]\ntrusted_peers = [\"192.0.2.0/24\"]\n"
      "[security.bans]\nprefix_threshold = 4\nnever_ban = [\"198.51.100.1\"]\n");
  ASSERT_TRUE(config) << to_string(config.error());
  EXPECT_EQ(config->security.bans.prefix_threshold, 4u);
  const security::SecuritySettings settings = security_settings(config->security, config->dialplan);
  EXPECT_EQ(settings.bans.prefix_threshold, 4u);
  // Trusted peers are never banned: the ban policy knows them.
  EXPECT_TRUE(settings.bans.trusted_peers.contains(boost::asio::ip::make_address("192.0.2.9")));
  EXPECT_TRUE(settings.bans.never_ban.contains(boost::asio::ip::make_address("198.51.100.1")));
  EXPECT_NE(error_for("domains = [\"a\"]\n[security.bans]\nprefix_threshold = -1\n").find("prefix_threshold"),
            std::string::npos);
}

}  // namespace
}  // namespace osprey::app
