#include "app/trunk_config.hpp"

#include <algorithm>
#include <string>

#include <boost/asio/ip/address.hpp>

#include "app/header_rules_config.hpp"

#include "security/address_set.hpp"
#include "sip/uri.hpp"

namespace osprey::app {

namespace {

// A trunk's name appears in logs, metrics and `osprey rules test --trunk`: keep it plain.
bool plain_name(const std::string& name) {
  return name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || c == '.';
         });
}

// The peer URI, with `transport` merged into it when given: one place says where calls go.
void read_peer(Section& section, sbc::Trunk& trunk) {
  if (!section.string("peer", trunk.peer)) {
    if (!section.has("peer")) section.fail("peer", "is required: the trunk's sip: URI");
    return;
  }
  auto uri = sip::parse_uri(trunk.peer, {false});
  if (!uri || !uri->is_sip() || uri->host.empty()) {
    section.fail("peer", "'" + trunk.peer + "' is not a sip: or sips: URI like \"sip:sip.carrier.example\"");
    return;
  }
  std::string transport;
  if (!section.has("transport")) return;
  enum class Transport { udp, tcp, tls } chosen = Transport::udp;
  if (!section.choice("transport",
                      {{"udp", Transport::udp}, {"tcp", Transport::tcp}, {"tls", Transport::tls}}, chosen)) {
    return;
  }
  transport = chosen == Transport::udp ? "udp" : chosen == Transport::tcp ? "tcp" : "tls";
  if (auto written = uri->param("transport")) {
    std::string lower(*written);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (lower != transport) {
      section.fail("transport",
                   "'" + transport + "' contradicts the peer URI's transport=" + std::string(*written));
    }
    return;
  }
  // RFC 3261 §19.1.1: the transport parameter of the URI is how a sip: URI names its transport.
  const std::size_t params_at = uri->headers.empty() ? trunk.peer.size() : trunk.peer.find('?');
  trunk.peer.insert(params_at, ";transport=" + transport);
}

void read_sources(Section& section, const std::string& peer, security::AddressSet& sources) {
  std::vector<std::string> networks;
  if (section.string_array("sources", networks)) {
    auto parsed = security::AddressSet::parse(networks);
    if (!parsed) {
      section.fail("sources", parsed.error());
      return;
    }
    sources = std::move(*parsed);
    return;
  }
  // No sources: the peer's own address when the URI names one; a peer named by DNS takes calls
  // from nowhere until its sources are listed (addresses a zone may change are no credential).
  auto uri = sip::parse_uri(peer, {false});
  if (!uri) return;
  std::string host(uri->host);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  boost::system::error_code error;
  boost::asio::ip::make_address(host, error);
  if (error) return;
  std::vector<std::string> own{host};
  if (auto parsed = security::AddressSet::parse(own)) sources = std::move(*parsed);
}

sbc::TrunkCredentials read_credentials(ReadState& state, const toml::table& table, const std::string& path) {
  Section section(state, table, path);
  sbc::TrunkCredentials credentials;
  if (!section.string("username", credentials.username)) section.fail("username", "is required");
  if (!section.string("password", credentials.password)) section.fail("password", "is required");
  section.string("realm", credentials.realm);
  section.fail_unknown_keys();
  return credentials;
}

void read_registration(ReadState& state, const toml::table& table, const std::string& path,
                       sbc::TrunkRegistration& registration) {
  Section section(state, table, path);
  registration.enabled = true;
  section.boolean("enabled", registration.enabled);
  if (section.string("aor", registration.aor)) {
    auto uri = sip::parse_uri(registration.aor, {false});
    if (!uri || !uri->is_sip() || !uri->has_user) {
      section.fail("aor", "'" + registration.aor + "' is not a sip: URI with a user");
    }
  }
  section.integer<std::uint32_t>("expires", 60, 86400, registration.expires);
  section.integer<std::uint32_t>("retry_after", 5, 3600, registration.retry_after);
  section.fail_unknown_keys();
}

void read_identity(ReadState& state, const toml::table& table, const std::string& path,
                   sbc::IdentityPolicy& identity) {
  Section section(state, table, path);
  std::vector<std::string> read_from;
  if (section.string_array("read_from", read_from)) {
    identity.read_from.clear();
    for (const std::string& name : read_from) {
      if (name == "pai") {
        identity.read_from.push_back(sbc::IdentityHeader::p_asserted_identity);
      } else if (name == "from") {
        identity.read_from.push_back(sbc::IdentityHeader::from);
      } else if (name == "rpid") {
        identity.read_from.push_back(sbc::IdentityHeader::remote_party_id);
      } else {
        section.fail("read_from", "'" + name + "' must be one of pai, from, rpid");
        break;
      }
    }
  }
  section.boolean("write_from", identity.write_from);
  section.boolean("write_pai", identity.write_pai);
  section.boolean("trusted", identity.trusted);
  using Diversion = sbc::IdentityPolicy::Diversion;
  section.choice("diversion",
                 {{"keep", Diversion::keep},
                  {"history-info", Diversion::history_info},
                  {"diversion", Diversion::diversion}},
                 identity.diversion);
  section.fail_unknown_keys();
}

void read_session_timers(ReadState& state, const toml::table& table, const std::string& path,
                         sbc::SessionTimerSettings& timers) {
  Section section(state, table, path);
  section.boolean("enabled", timers.enabled);
  // RFC 4028 §4: Min-SE is at least 90 seconds; the interval at least Min-SE.
  section.integer<std::uint32_t>("min_se", 90, 86400, timers.min_se);
  if (section.integer<std::uint32_t>("session_expires", 90, 86400, timers.session_expires) &&
      timers.session_expires < timers.min_se) {
    section.fail("session_expires", "must be at least min_se (" + std::to_string(timers.min_se) + ")");
  }
  section.fail_unknown_keys();
}

sbc::Trunk read_trunk(ReadState& state, const toml::table& table, const std::string& path) {
  Section section(state, table, path);
  sbc::Trunk trunk;
  if (section.string("name", trunk.name)) {
    if (!plain_name(trunk.name))
      section.fail("name", "'" + trunk.name + "': letters, digits, '-', '_', '.' only");
  } else if (!section.has("name")) {
    section.fail("name", "is required");
  }
  read_peer(section, trunk);
  read_sources(section, trunk.peer, trunk.sources);
  double calls_per_second = 0;
  if (section.has("calls_per_second")) {
    std::uint32_t whole = 0;
    if (section.integer<std::uint32_t>("calls_per_second", 0, 100000, whole)) calls_per_second = whole;
  }
  trunk.limits.calls_per_second = calls_per_second;
  section.integer<std::uint32_t>("max_calls", 0, 1000000, trunk.limits.max_calls);
  // Up to a week; 0: calls through the trunk have no maximum duration.
  section.integer<std::uint32_t>("max_call_duration", 0, 604800, trunk.limits.max_call_duration);
  if (const toml::table* auth = section.table("auth"))
    trunk.credentials = read_credentials(state, *auth, path + ".auth");
  if (const toml::table* inbound = section.table("inbound_auth"))
    trunk.inbound_credentials = read_credentials(state, *inbound, path + ".inbound_auth");
  if (const toml::table* registration = section.table("register")) {
    read_registration(state, *registration, path + ".register", trunk.registration);
    if (trunk.registration.enabled && !trunk.credentials) {
      section.fail("register", "needs [" + path + ".auth]: the credentials osprey registers with");
    }
  }
  if (const toml::table* identity = section.table("identity"))
    read_identity(state, *identity, path + ".identity", trunk.identity);
  if (const toml::table* timers = section.table("session_timers"))
    read_session_timers(state, *timers, path + ".session_timers", trunk.session_timers);
  if (const toml::array* rules = section.table_array("rules_in"))
    trunk.rules_in = read_header_rules(state, *rules, path + ".rules_in");
  if (const toml::array* rules = section.table_array("rules_out"))
    trunk.rules_out = read_header_rules(state, *rules, path + ".rules_out");
  section.fail_unknown_keys();
  return trunk;
}

// Digits, with '+' only first.
bool number_text(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!((text[i] >= '0' && text[i] <= '9') || (text[i] == '+' && i == 0))) return false;
  }
  return true;
}

sbc::TrunkRoute read_route(ReadState& state, const toml::table& table, const std::string& path) {
  Section section(state, table, path);
  sbc::TrunkRoute route;
  // Routes match the number the dial policy judged (security::dialled_number): '+' and digits.
  if (section.string("prefix", route.prefix) && !number_text(route.prefix)) {
    section.fail("prefix", "'" + route.prefix + "' is not a number prefix (digits, '+' first)");
  }
  section.string("domain", route.domain);
  std::transform(route.domain.begin(), route.domain.end(), route.domain.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  section.integer<std::uint32_t>("strip", 0, 32, route.strip);
  if (section.string("prepend", route.prepend) && !number_text(route.prepend)) {
    section.fail("prepend", "'" + route.prepend + "' is not digits ('+' first)");
  }
  if (!section.string_array("trunks", route.trunks) && !section.has("trunks")) {
    section.fail("trunks", "is required: the trunks calls matching this route go to, in order");
  }
  section.fail_unknown_keys();
  return route;
}

template <typename Read, typename Out>
void read_each(ReadState& state, Section& parent, std::string_view key, const std::string& path, Read read,
               std::vector<Out>& out) {
  const toml::array* entries = parent.table_array(key);
  if (entries == nullptr) return;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const toml::table* entry = entries->get(i)->as_table();
    if (entry == nullptr) continue;  // table_array checked the element types
    out.push_back(read(state, *entry, path + "[" + std::to_string(i) + "]"));
  }
}

std::uint32_t line_of_entry(const toml::table& document, std::string_view section, std::string_view key,
                            std::size_t index) {
  const toml::node* node = document.get(section);
  if (node != nullptr && !key.empty()) node = node->as_table() ? node->as_table()->get(key) : nullptr;
  const toml::array* array = node != nullptr ? node->as_array() : nullptr;
  if (array == nullptr || index >= array->size()) return 0;
  return array->get(index)->source().begin.line;
}

}  // namespace

void read_trunks(ReadState& state, Section& root, std::vector<sbc::Trunk>& trunks) {
  read_each(state, root, "trunk", "trunk", read_trunk, trunks);
}

void read_trunk_routes(ReadState& state, Section& dialplan, std::vector<sbc::TrunkRoute>& routes) {
  read_each(state, dialplan, "route", "dialplan.route", read_route, routes);
}

void check_trunk_routes(ReadState& state, const toml::table& document, const std::vector<sbc::Trunk>& trunks,
                        const std::vector<sbc::TrunkRoute>& routes) {
  for (std::size_t i = 0; i < trunks.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (!trunks[i].name.empty() && trunks[i].name == trunks[j].name) {
        state.fail(line_of_entry(document, "trunk", "", i), "trunk[" + std::to_string(i) + "].name",
                   "'" + trunks[i].name + "' names another trunk already");
        return;
      }
    }
  }
  for (std::size_t i = 0; i < routes.size(); ++i) {
    for (const std::string& name : routes[i].trunks) {
      const bool known =
          std::any_of(trunks.begin(), trunks.end(), [&](const sbc::Trunk& t) { return t.name == name; });
      if (!known) {
        state.fail(line_of_entry(document, "dialplan", "route", i),
                   "dialplan.route[" + std::to_string(i) + "].trunks",
                   "'" + name + "' is no [[trunk]] of this file");
        return;
      }
    }
  }
}

}  // namespace osprey::app
