#include "net/rfc3263_lookup.hpp"

#include <algorithm>
#include <memory>

#include "net/dns_name.hpp"
#include "net/naptr_filter.hpp"

namespace osprey::net {

namespace {

// RFC 3263 §4.1: the SRV service of a transport ("_sips" for TLS, RFC 3261 §26.2.2); for
// WebSocket (RFC 7118, whose NAPTR services IANA lists as "WS") "_sip._ws" and "_sips._ws".
std::string srv_name_for(Protocol protocol, const std::string& host) {
  switch (protocol) {
    case Protocol::udp: return "_sip._udp." + host;
    case Protocol::tcp: return "_sip._tcp." + host;
    case Protocol::tls: return "_sips._tcp." + host;
    case Protocol::ws: return "_sip._ws." + host;
    case Protocol::wss: return "_sips._ws." + host;
  }
  return "_sip._udp." + host;
}

class Lookup : public std::enable_shared_from_this<Lookup> {
 public:
  Lookup(const UriTarget& target, const DnsLookup& lookup, const UniformPick& pick,
         const Rfc3263Options& options, HopsCallback done)
      : target_(target), lookup_(lookup), pick_(pick), options_(options), done_(std::move(done)) {}

  void start() {
    // A name the hosts file (or RFC 6761) gives addresses for is a local name: it has no NAPTR
    // or SRV records, and DNS may not know it at all, so its addresses are used as
    // getaddrinfo would, with the URI's port or the transport's default.
    std::vector<boost::asio::ip::address> local_addresses;
    lookup_(target_.host, DnsType::hosts_file, [&local_addresses](const DnsResult& result) {
      if (result.outcome == DnsOutcome::records) local_addresses = result.addresses;
    });
    if (!local_addresses.empty()) {
      Target local = target_at(target_.host, target_.port, target_.protocol);
      for (const auto& address : local_addresses) (address.is_v6() ? local.v6 : local.v4).push_back(address);
      targets_ = {std::move(local)};
      outstanding_ = 1;
      address_answered();
    } else if (target_.port_explicit) {
      // §4.2: "If the TARGET was not a numeric IP address, but a port is present in the URI,
      // the client performs an A or AAAA record lookup of the domain name."
      look_up_addresses({target_at(target_.host, target_.port, target_.protocol)});
    } else if (target_.transport_explicit) {
      look_up_services({{target_.protocol, srv_name_for(target_.protocol, target_.host)}}, true);
    } else {
      look_up_naptr();
    }
  }

 private:
  struct Service {
    NaptrChoice choice;
    std::vector<SrvRecord> ordered;
    bool refused = false;  // RFC 2782 target "."
  };
  struct Target {
    std::string name;
    std::uint16_t port = 0;
    Protocol protocol = Protocol::udp;
    std::vector<boost::asio::ip::address> v6;
    std::vector<boost::asio::ip::address> v4;
    DnsOutcome v6_outcome = DnsOutcome::records;
    DnsOutcome v4_outcome = DnsOutcome::records;
    std::string why;  // the A query's reason when neither gave an address
  };
  static Target target_at(std::string name, std::uint16_t port, Protocol protocol) {
    Target target;
    target.name = std::move(name);
    target.port = port;
    target.protocol = protocol;
    return target;
  }

  void fail(const std::string& reason) {
    if (finished_) return;
    finished_ = true;
    done_(tl::unexpected("cannot resolve " + target_.host + ": " + reason));
  }

  void look_up_naptr() {
    auto self = shared_from_this();
    lookup_(target_.host, DnsType::naptr, [self](const DnsResult& result) { self->on_naptr(result); });
  }

  void on_naptr(const DnsResult& result) {
    switch (result.outcome) {
      case DnsOutcome::no_answer: return fail("no answer from the DNS server (NAPTR)");
      // RFC 8020: NXDOMAIN means nothing exists at or below the name; SRV and A would say the same.
      case DnsOutcome::no_such_name: return fail("no such domain");
      case DnsOutcome::records: {
        auto choices = usable_naptr_choices(result.naptr, target_.secure, options_.max_naptr_choices);
        if (!choices.empty()) return look_up_services(std::move(choices), false);
        break;
      }
      case DnsOutcome::no_data:
      case DnsOutcome::server_failure: break;
    }
    // §4.1: "If no NAPTR records are found, the client constructs SRV queries for those
    // transport protocols it supports ... using the service identifier "_sip" for SIP URIs
    // and "_sips" for SIPS URIs."
    std::vector<NaptrChoice> services;
    if (target_.secure) {
      services.push_back({Protocol::tls, srv_name_for(Protocol::tls, target_.host)});
    } else {
      services.push_back({Protocol::udp, srv_name_for(Protocol::udp, target_.host)});
      services.push_back({Protocol::tcp, srv_name_for(Protocol::tcp, target_.host)});
    }
    look_up_services(std::move(services), true);
  }

  // `address_fallback`: §4.2, when no SRV record is found, A/AAAA of the host itself.
  void look_up_services(std::vector<NaptrChoice> choices, bool address_fallback) {
    services_.clear();
    services_.reserve(choices.size());
    for (auto& choice : choices) services_.push_back(Service{std::move(choice), {}, false});
    address_fallback_ = address_fallback;
    outstanding_ = 1;  // held until every query went out, in case answers come at once
    auto self = shared_from_this();
    for (std::size_t i = 0; i < services_.size(); ++i) {
      ++outstanding_;
      lookup_(services_[i].choice.srv_name, DnsType::srv,
              [self, i](const DnsResult& result) { self->on_srv(i, result); });
    }
    service_answered();
  }

  void on_srv(std::size_t index, const DnsResult& result) {
    Service& service = services_[index];
    if (result.outcome == DnsOutcome::no_answer) no_answer_ = true;
    if (result.outcome == DnsOutcome::records) {
      service.refused = service_refused(result.srv);
      service.ordered = order_srv_records(result.srv, pick_);
    }
    service_answered();
  }

  void service_answered() {
    if (--outstanding_ > 0) return;
    if (no_answer_) return fail("no answer from the DNS server (SRV)");
    std::vector<Target> targets;
    bool any_refused = false;
    for (const Service& service : services_) {
      any_refused = any_refused || service.refused;
      for (const SrvRecord& record : service.ordered) {
        if (targets.size() >= options_.max_targets) break;
        if (record.port == 0 || !is_plausible_dns_name(record.target)) continue;
        const bool seen = std::any_of(targets.begin(), targets.end(), [&](const Target& t) {
          return t.name == record.target && t.port == record.port && t.protocol == service.choice.protocol;
        });
        if (!seen) targets.push_back(target_at(record.target, record.port, service.choice.protocol));
      }
    }
    if (!targets.empty()) return look_up_addresses(std::move(targets));
    if (any_refused) return fail("the domain offers no SIP service (SRV target \".\")");
    if (!address_fallback_) return fail("no SRV records for its NAPTR services");
    // §4.2: "If no SRV records were found, the client performs an A or AAAA record lookup of
    // the domain name" with the transport's default port.
    const Protocol protocol = target_.protocol;
    look_up_addresses({target_at(target_.host, default_port(protocol), protocol)});
  }

  void look_up_addresses(std::vector<Target> targets) {
    targets_ = std::move(targets);
    outstanding_ = 1;
    auto self = shared_from_this();
    for (std::size_t i = 0; i < targets_.size(); ++i) {
      outstanding_ += 2;
      lookup_(targets_[i].name, DnsType::aaaa,
              [self, i](const DnsResult& result) { self->on_address(i, true, result); });
      lookup_(targets_[i].name, DnsType::a,
              [self, i](const DnsResult& result) { self->on_address(i, false, result); });
    }
    address_answered();
  }

  void on_address(std::size_t index, bool v6, const DnsResult& result) {
    Target& target = targets_[index];
    (v6 ? target.v6 : target.v4) = result.addresses;
    (v6 ? target.v6_outcome : target.v4_outcome) = result.outcome;
    if (!v6 || target.why.empty()) target.why = describe(result, v6 ? DnsType::aaaa : DnsType::a);
    address_answered();
  }

  void address_answered() {
    if (--outstanding_ > 0) return;
    std::vector<ResolvedHop> hops;
    hops.reserve(std::min<std::size_t>(options_.max_hops, 2 * targets_.size()));
    const auto add = [&](const Target& target, const boost::asio::ip::address& address) {
      if (hops.size() >= options_.max_hops) return;
      const ResolvedHop hop{target.protocol, {address, target.port}};
      if (std::find(hops.begin(), hops.end(), hop) == hops.end()) hops.push_back(hop);
    };
    for (const Target& target : targets_) {
      const auto& first = options_.prefer_ipv6 ? target.v6 : target.v4;
      const auto& second = options_.prefer_ipv6 ? target.v4 : target.v6;
      for (std::size_t i = 0; i < std::max(first.size(), second.size()); ++i) {
        if (i < first.size()) add(target, first[i]);
        if (i < second.size()) add(target, second[i]);
      }
    }
    if (hops.empty()) {
      const Target& first = targets_.front();
      const bool timed_out =
          first.v4_outcome == DnsOutcome::no_answer || first.v6_outcome == DnsOutcome::no_answer;
      const bool missing =
          first.v4_outcome == DnsOutcome::no_such_name || first.v6_outcome == DnsOutcome::no_such_name;
      std::string reason = timed_out ? "no answer from the DNS server (A/AAAA)"
                           : missing ? "no such domain"
                                     : first.why;
      if (first.name != target_.host) reason = first.name + ": " + reason;
      return fail(targets_.size() > 1 ? "no address for any SRV target (" + reason + ")" : reason);
    }
    if (finished_) return;
    finished_ = true;
    done_(std::move(hops));
  }

  UriTarget target_;
  const DnsLookup& lookup_;
  const UniformPick& pick_;
  Rfc3263Options options_;
  HopsCallback done_;
  std::vector<Service> services_;
  std::vector<Target> targets_;
  int outstanding_ = 0;
  bool address_fallback_ = false;
  bool no_answer_ = false;
  bool finished_ = false;
};

}  // namespace

void resolve_rfc3263(const UriTarget& target, const DnsLookup& lookup, const UniformPick& pick,
                     const Rfc3263Options& options, HopsCallback done) {
  std::make_shared<Lookup>(target, lookup, pick, options, std::move(done))->start();
}

}  // namespace osprey::net
