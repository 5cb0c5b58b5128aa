#pragma once
// Creates requests and responses. A response to a request copies Via, From, To, Call-ID and
// CSeq as RFC 3261 §8.2.6.2 says; the builder writes Content-Length itself.

#include <initializer_list>
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
  // One header whose value is `parts` written one after the other (no temporary string).
  MessageBuilder& header(HeaderId id, std::initializer_list<std::string_view> parts);
  MessageBuilder& body(std::string_view content_type, std::string_view bytes);

  std::string serialize() const&;
  // The same, taking the builder's buffer: no copy of what was written.
  std::string serialize() &&;
  Result<Message> build() const;

 private:
  void start_response(int status, std::string_view reason);
  void begin_header(std::string_view name);
  void end_header() { head_.append("\r\n"); }

  std::string head_;  // the start line, then the header lines
  std::string body_;
};

}  // namespace osprey::sip
