#include "app/server_settings_from_config.hpp"

namespace osprey::app {

namespace {

net::Protocol protocol_of(Transport transport) {
  switch (transport) {
    case Transport::udp: return net::Protocol::udp;
    case Transport::tcp: return net::Protocol::tcp;
    case Transport::tls: return net::Protocol::tls;
    case Transport::ws: return net::Protocol::ws;
    case Transport::wss: return net::Protocol::wss;
  }
  return net::Protocol::udp;
}

}  // namespace

server::ServerSettings server_settings_from(const Config& config) {
  server::ServerSettings settings;
  settings.workers = resolved_workers(config);
  settings.domains = config.domains;
  for (const ListenConfig& listen : config.listen) {
    boost::system::error_code ignored;  // the loader checked the literal
    settings.listen.push_back({protocol_of(listen.transport),
                               {boost::asio::ip::make_address(listen.address, ignored), listen.port}});
    if (listen.transport == Transport::tls || listen.transport == Transport::wss) {
      settings.tls.certificate =
          listen.certificate;  // the loader checked every TLS entry names the same files
      settings.tls.private_key = listen.private_key;
    }
  }
  settings.tls.ca_file = config.tls.ca_file;
  settings.dns = dns_settings(config.dns);
  settings.websocket.allowed_origins = config.websocket.allowed_origins;
  settings.parse.max_message_size = config.limits.max_message_size;
  settings.parse.max_headers = config.limits.max_headers;
  settings.streams.max_message_size = config.limits.max_message_size;
  settings.streams.max_headers = config.limits.max_headers;
  settings.streams.idle_timeout = std::chrono::seconds(config.limits.connection_idle_timeout);
  settings.streams.first_message_timeout = std::chrono::seconds(config.limits.first_message_timeout);
  settings.streams.message_timeout = std::chrono::seconds(config.limits.message_timeout);
  settings.max_connections = config.limits.max_connections;
  settings.registrar.min_expires = config.registrar.min_expires;
  settings.registrar.max_expires = config.registrar.max_expires;
  settings.registrar.default_expires = config.registrar.default_expires;
  settings.registrar.max_contacts_per_aor = config.registrar.max_contacts_per_aor;
  settings.registrar.flow_timer_udp = config.registrar.flow_timer_udp;
  settings.registrar.flow_timer_stream = config.registrar.flow_timer_stream;
  settings.forward_foreign_register = config.registrar.forward_foreign_register;
  settings.im.max_body_bytes = config.messages.max_body_size;
  settings.im.delivery_timeout = std::chrono::seconds(config.messages.delivery_timeout);
  settings.messages.max_messages_per_user = config.messages.max_stored_per_user;
  settings.messages.max_bytes_per_user = config.messages.max_stored_bytes_per_user;
  settings.messages.max_messages_from_outsiders_per_user = config.messages.max_stored_from_outsiders_per_user;
  settings.messages.max_bytes_from_outsiders_per_user =
      config.messages.max_stored_bytes_from_outsiders_per_user;
  settings.messages.max_messages_per_outsider_sender = config.messages.max_stored_per_outsider_sender;
  settings.messages.max_age_seconds = std::int64_t{config.messages.max_age_days} * 24 * 3600;
  settings.data_dir = config.data_dir;
  settings.max_connections_per_ip = config.limits.max_connections_per_ip;
  settings.max_connections_per_network = config.limits.max_connections_per_network;
  settings.security = security_settings(config.security, config.dialplan);
  settings.redirects.recurse = config.proxy.recurse_on_redirect;
  settings.redirects.max_targets = config.proxy.max_redirect_targets;
  settings.blocklist.ttl = std::chrono::seconds(config.proxy.blocklist_ttl);
  settings.blocklist.max_retry_after = std::chrono::seconds(config.proxy.blocklist_max_retry_after);
  settings.blocklist.capacity = config.proxy.blocklist_size;
  settings.sbc.trunks = config.trunks;
  settings.sbc.routes = config.dialplan.routes;
  return settings;
}

}  // namespace osprey::app
