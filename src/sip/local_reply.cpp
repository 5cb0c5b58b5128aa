#include "sip/local_reply.hpp"

#include "sip/builder.hpp"

namespace osprey::sip {

std::string serialize_reply(const Message& request, const LocalReply& reply, std::string_view to_tag) {
  MessageBuilder response = MessageBuilder::response_to(request, reply.status, reply.reason, to_tag);
  for (const auto& [name, value] : reply.headers) response.header(name, value);
  return std::move(response).serialize();
}

}  // namespace osprey::sip
