#include "client/request_factory.hpp"

#include "net/random_tags.hpp"
#include "sip/builder.hpp"
#include "sip/uri.hpp"

namespace osprey::client {

namespace {

// The client tools run one request at a time per thread; each thread draws from its own generator.
net::RandomTags& random_tags() {
  static thread_local net::RandomTags tags;
  return tags;
}

sip::MessageBuilder start(std::string_view method, std::string_view request_uri, const RequestIds& ids,
                          std::string_view to, std::string_view from) {
  sip::MessageBuilder builder = sip::MessageBuilder::request(method, request_uri);
  builder.header(sip::HeaderId::max_forwards, "70")
      .header(sip::HeaderId::to, "<" + std::string(to) + ">")
      .header(sip::HeaderId::from, "<" + std::string(from) + ">;tag=" + ids.from_tag)
      .header(sip::HeaderId::call_id, ids.call_id)
      .header(sip::HeaderId::cseq, std::to_string(ids.cseq) + " " + std::string(method))
      .header(sip::HeaderId::user_agent, "osprey");
  return builder;
}

}  // namespace

RequestIds fresh_ids() { return RequestIds{random_tags().hex(24) + "@osprey", random_tags().tag(), 1}; }

std::string fresh_tag() { return random_tags().tag(); }

std::string contact_uri(const net::Endpoint& local, net::Protocol protocol, std::string_view request_uri) {
  const auto parsed = sip::parse_uri(request_uri);
  if (parsed && parsed->scheme == sip::UriScheme::sips) {
    // §26.2.2: sips: implies TLS over TCP; no transport parameter is needed.
    return "sips:osprey@" + net::to_string(local);
  }
  std::string uri = "sip:osprey@" + net::to_string(local);
  // RFC 7118 §5.2: "ws" names WS and WSS alike.
  if (protocol != net::Protocol::udp) uri += ";transport=" + std::string(net::uri_transport(protocol));
  return uri;
}

sip::Result<sip::Message> build_options(const RequestIds& ids, std::string_view target,
                                        std::string_view from) {
  // §11.1: Accept says what the answer's body may be; application/sdp is what a UA would accept.
  return start("OPTIONS", target, ids, target, from).header(sip::HeaderId::accept, "application/sdp").build();
}

sip::Result<sip::Message> build_register(const RequestIds& ids, std::string_view aor,
                                         std::string_view contact, std::uint32_t expires) {
  auto uri = sip::parse_uri(aor);
  if (!uri) return tl::unexpected(uri.error());
  // §10.2: the Request-URI names the domain of the registrar, without the user part.
  std::string request_uri = std::string(uri->scheme_name) + ":" + std::string(uri->host);
  if (uri->has_port) request_uri += ":" + std::to_string(uri->port);
  return start("REGISTER", request_uri, ids, aor, aor)
      .header(sip::HeaderId::contact, contact == "*" ? std::string("*") : "<" + std::string(contact) + ">")
      .header(sip::HeaderId::expires, std::to_string(expires))
      .build();
}

sip::Result<sip::Message> build_message(const RequestIds& ids, std::string_view target, std::string_view from,
                                        std::string_view text) {
  return start("MESSAGE", target, ids, target, from).body("text/plain;charset=utf-8", text).build();
}

}  // namespace osprey::client
