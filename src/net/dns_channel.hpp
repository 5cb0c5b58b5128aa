#pragma once
// One c-ares channel driven by a worker's io_context: c-ares's sockets are watched with
// asio descriptors (its socket-state callback says which and for what) and its retransmission
// timer is an asio timer (ares_timeout), so a query never blocks the event loop. One channel
// per owner, nothing shared between threads.
//
// Callbacks run on the io_context's thread, never from inside query() itself, and never once
// the channel is destroyed: queries still in flight then end silently.

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <tl/expected.hpp>

#include "net/dns_records.hpp"
#include "net/dns_settings.hpp"

namespace osprey::net {

// The c-ares status (ARES_SUCCESS, ARES_ENOTFOUND, ARES_ETIMEOUT, ...) and the raw answer.
using DnsAnswerCallback = std::function<void(int status, std::span<const unsigned char> answer)>;

class DnsChannel {
 public:
  // Error: c-ares could not start (no memory, unreadable system configuration).
  static tl::expected<std::unique_ptr<DnsChannel>, std::string> create(boost::asio::io_context& io_context,
                                                                       const DnsSettings& settings);
  ~DnsChannel();
  DnsChannel(const DnsChannel&) = delete;
  DnsChannel& operator=(const DnsChannel&) = delete;

  // One query of class IN, without the resolv.conf search list (RFC 3263 names are absolute).
  void query(const std::string& name, DnsType type, DnsAnswerCallback done);

  // The hosts file's addresses for `name` (/etc/hosts, as getaddrinfo would see them): a
  // small local file, read at once.
  std::vector<boost::asio::ip::address> hosts_file_addresses(const std::string& name) const;

  std::size_t queries_in_flight() const;

 private:
  struct Core;
  explicit DnsChannel(std::shared_ptr<Core> core);
  std::shared_ptr<Core> core_;
};

}  // namespace osprey::net
