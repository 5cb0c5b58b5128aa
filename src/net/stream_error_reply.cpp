#include "net/stream_error_reply.hpp"

#include "sip/stateless_reply.hpp"

namespace osprey::net {

std::string stream_error_reply(std::string_view unconsumed, const sip::ParseError& error,
                               std::size_t max_message_size) {
  if (error.server_status == 0) return {};
  // Leading CRLFs are keep-alives the framer may not have consumed yet (RFC 3261 §7.5).
  while (unconsumed.size() >= 2 && unconsumed[0] == '\r' && unconsumed[1] == '\n')
    unconsumed.remove_prefix(2);
  const std::size_t head_end = unconsumed.find("\r\n\r\n");
  if (head_end == std::string_view::npos || head_end + 4 > max_message_size) return {};
  const std::string_view head = unconsumed.substr(0, head_end + 4);

  return sip::stateless_reply(head, error.server_status, error.reason);
}

}  // namespace osprey::net
