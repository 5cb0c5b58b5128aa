#pragma once
// A UDP client for the server's own tests: sends a request to a running Server or Worker on
// 127.0.0.1 and waits, bounded, for one answer.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>

#include "sip/message.hpp"

namespace osprey::server::testing {

class UdpClient {
 public:
  UdpClient() : socket_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(socket_, reinterpret_cast<const sockaddr*>(&local), sizeof local);
    socklen_t size = sizeof local;
    ::getsockname(socket_, reinterpret_cast<sockaddr*>(&local), &size);
    port_ = ntohs(local.sin_port);
  }
  ~UdpClient() { ::close(socket_); }
  UdpClient(const UdpClient&) = delete;
  UdpClient& operator=(const UdpClient&) = delete;

  std::uint16_t port() const { return port_; }

  // A request from this client's address ("PORT" in `text` is replaced by its port, so Via and
  // Contact name where the answer goes).
  void send(std::string text, std::uint16_t to_port) const {
    for (std::size_t at = text.find("PORT"); at != std::string::npos; at = text.find("PORT"))
      text.replace(at, 4, std::to_string(port_));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(to_port);
    ::sendto(socket_, text.data(), text.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  }

  // The next datagram as it came, or nullopt after `milliseconds` without one.
  std::optional<std::string> receive_bytes(int milliseconds = 3000) const {
    timeval timeout{milliseconds / 1000, (milliseconds % 1000) * 1000};
    ::setsockopt(socket_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string buffer(65536, '\0');
    const ssize_t size = ::recv(socket_, buffer.data(), buffer.size(), 0);
    if (size <= 0) return std::nullopt;
    buffer.resize(static_cast<std::size_t>(size));
    return buffer;
  }

  // The next datagram parsed, or nullopt after `milliseconds` without one.
  std::optional<sip::Message> receive(int milliseconds = 3000) const {
    timeval timeout{milliseconds / 1000, (milliseconds % 1000) * 1000};
    ::setsockopt(socket_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string buffer(65536, '\0');
    const ssize_t size = ::recv(socket_, buffer.data(), buffer.size(), 0);
    if (size <= 0) return std::nullopt;
    buffer.resize(static_cast<std::size_t>(size));
    auto message = sip::Message::parse(std::move(buffer));
    if (!message) return std::nullopt;
    return std::move(*message);
  }

 private:
  int socket_;
  std::uint16_t port_ = 0;
};

// An out-of-dialog request from 127.0.0.1:PORT.
inline std::string request_text(const std::string& method, const std::string& uri, const std::string& to,
                                const std::string& call_id, const std::string& extra = "") {
  return method + " " + uri + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bK" + call_id +
         "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=f1\r\nTo: <" + to +
         ">\r\nCall-ID: " + call_id + "\r\nCSeq: 1 " + method +
         "\r\nContact: <sip:alice@127.0.0.1:PORT>\r\n" + extra + "Content-Length: 0\r\n\r\n";
}

}  // namespace osprey::server::testing
