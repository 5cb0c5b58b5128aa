#include "net/dns_answer.hpp"

#include <ares.h>

#include <array>
#include <cstring>

#include "net/address_text.hpp"
#include "net/dns_ttl.hpp"

namespace osprey::net {

namespace {

// More addresses than any sensible host has; the rest of an answer is ignored.
constexpr int kMaxAddresses = 32;

std::string text_of(const unsigned char* text) {
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text));
}

int parse_records(DnsType type, std::span<const unsigned char> message, DnsResult& result) {
  const auto* data = message.data();
  const int length = static_cast<int>(message.size());
  switch (type) {
    case DnsType::naptr: {
      ares_naptr_reply* replies = nullptr;
      const int status = ares_parse_naptr_reply(data, length, &replies);
      for (const ares_naptr_reply* reply = replies; status == ARES_SUCCESS && reply != nullptr;
           reply = reply->next) {
        result.naptr.push_back({reply->order, reply->preference, text_of(reply->flags),
                                text_of(reply->service), text_of(reply->regexp),
                                reply->replacement == nullptr ? std::string() : reply->replacement});
      }
      if (replies != nullptr) ares_free_data(replies);
      return status;
    }
    case DnsType::srv: {
      ares_srv_reply* replies = nullptr;
      const int status = ares_parse_srv_reply(data, length, &replies);
      for (const ares_srv_reply* reply = replies; status == ARES_SUCCESS && reply != nullptr;
           reply = reply->next) {
        std::string target = reply->host == nullptr ? std::string() : reply->host;
        // RFC 2782: the root, ".", means "decidedly not available"; c-ares gives it as "".
        result.srv.push_back({reply->priority, reply->weight, reply->port, target.empty() ? "." : target});
      }
      if (replies != nullptr) ares_free_data(replies);
      return status;
    }
    case DnsType::hosts_file: return ARES_EBADRESP;  // never asked of DNS
    case DnsType::a: {
      std::array<ares_addrttl, kMaxAddresses> found{};
      int count = kMaxAddresses;
      const int status = ares_parse_a_reply(data, length, nullptr, found.data(), &count);
      for (int i = 0; status == ARES_SUCCESS && i < count; ++i) {
        boost::asio::ip::address_v4::bytes_type bytes;
        static_assert(sizeof(bytes) == sizeof(found[i].ipaddr));
        std::memcpy(bytes.data(), &found[i].ipaddr, bytes.size());
        result.addresses.emplace_back(boost::asio::ip::address_v4(bytes));
      }
      return status;
    }
    case DnsType::aaaa: {
      std::array<ares_addr6ttl, kMaxAddresses> found{};
      int count = kMaxAddresses;
      const int status = ares_parse_aaaa_reply(data, length, nullptr, found.data(), &count);
      for (int i = 0; status == ARES_SUCCESS && i < count; ++i) {
        boost::asio::ip::address_v6::bytes_type bytes;
        static_assert(sizeof(bytes) == sizeof(found[i].ip6addr));
        std::memcpy(bytes.data(), &found[i].ip6addr, bytes.size());
        result.addresses.push_back(unmapped(boost::asio::ip::address(boost::asio::ip::address_v6(bytes))));
      }
      return status;
    }
  }
  return ARES_EBADRESP;
}

std::optional<std::chrono::seconds> seconds_of(std::optional<std::uint32_t> ttl) {
  if (!ttl) return std::nullopt;
  return std::chrono::seconds(*ttl);
}

}  // namespace

DnsResult read_dns_answer(DnsType type, int ares_status, std::span<const unsigned char> message) {
  DnsResult result;
  const std::optional<DnsTtls> ttls = message.empty() ? std::nullopt : read_dns_ttls(message);
  switch (ares_status) {
    case ARES_SUCCESS: break;
    case ARES_ENOTFOUND:
      result.outcome = DnsOutcome::no_such_name;
      if (ttls) result.ttl = seconds_of(ttls->negative);
      return result;
    case ARES_ENODATA:
      result.outcome = DnsOutcome::no_data;
      if (ttls) result.ttl = seconds_of(ttls->negative);
      return result;
    case ARES_ETIMEOUT: result.outcome = DnsOutcome::no_answer; return result;
    default:
      result.outcome = DnsOutcome::server_failure;
      result.detail = ares_strerror(ares_status);
      return result;
  }
  if (!ttls) {
    result.outcome = DnsOutcome::server_failure;
    result.detail = "malformed answer";
    return result;
  }
  const int status = parse_records(type, message, result);
  if (status == ARES_ENODATA ||
      (status == ARES_SUCCESS && result.naptr.empty() && result.srv.empty() && result.addresses.empty())) {
    // Only a CNAME, or records of another type: the name exists without what was asked for.
    result = DnsResult{};
    result.outcome = DnsOutcome::no_data;
    result.ttl = seconds_of(ttls->negative);
    return result;
  }
  if (status != ARES_SUCCESS) {
    result = DnsResult{};
    result.outcome = DnsOutcome::server_failure;
    result.detail = std::string("malformed answer: ") + ares_strerror(status);
    return result;
  }
  result.outcome = DnsOutcome::records;
  result.ttl = seconds_of(ttls->answer);
  return result;
}

}  // namespace osprey::net
