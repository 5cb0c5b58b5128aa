#pragma once
// Creates requests and responses. A response to a request copies Via, From, To, Call-ID and
// CSeq as RFC 3261 §8.2.6.2 says; the builder writes Content-Length itself.

#include <string>
#include <string_view>

#include "sip/error.hpp"
#include "sip/header_id.hpp"
#include "sip/message.hpp"

namespace osprey::sip {

// The RFC 3261 §21 reason phrase for a status code ("Not Found"); a class default otherwise.
std::string_view default_reason(int status);

class MessageBuilder {
 public:
  static MessageBuilder request(std::string_view method, std::string_view request_uri);
  static MessageBuilder response(int status, std::string_view reason = {});
  // §8.2.6.2: Via (every value, in order), From, To, Call-ID, CSeq copied; `to_tag` added to a
  // To without a tag (not for 100, which never carries one, §8.2.6.2). §8.2.6.1: a 100
  // copies Timestamp.
  static MessageBuilder response_to(const Message& request, int status, std::string_view reason = {},
                                    std::string_view to_tag = {});

  // Values are written as given; CR and LF in them are replaced by SP so no value can inject a header.
  MessageBuilder& header(std::string_view name, std::string_view value);
  MessageBuilder& header(HeaderId id, std::string_view value) { return header(canonical_name(id), value); }
  MessageBuilder& body(std::string_view content_type, std::string_view bytes);

  std::string serialize() const;
  Result<Message> build() const;

 private:
  std::string start_line_;
  std::string headers_;
  std::string body_;
};

}  // namespace osprey::sip
