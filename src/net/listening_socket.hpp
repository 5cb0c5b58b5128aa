#pragma once
// The listening socket of a stream transport (TCP, TLS): every worker binds the same address.

#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <tl/expected.hpp>

#include "net/flow.hpp"

namespace osprey::net {

// Opens `acceptor` on `at` and starts listening: SO_REUSEPORT, so every worker binds the same
// address and the kernel spreads new connections over them; an IPv6 address takes IPv6 only.
// Returns the address bound (the port the kernel chose when `at` asks for 0).
tl::expected<Endpoint, std::string> open_listening(boost::asio::ip::tcp::acceptor& acceptor,
                                                   const Endpoint& at);

}  // namespace osprey::net
