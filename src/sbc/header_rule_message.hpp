#pragma once
// The message as header rules see it while they run: the start line, the header lines as
// (name, value) views and the body. Rules edit this view, each seeing what the rules before it
// did, and the message is serialized and parsed once at the end (sbc/header_rule_set.hpp):
// one parse for the whole rule set instead of one per rule, and the final parse is what proves
// the result is still a SIP message.

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "sip/header_id.hpp"
#include "sip/message.hpp"

namespace osprey::sbc {

class RuleMessage {
 public:
  struct Line {
    std::string_view name;
    std::string_view value;
    sip::HeaderId id = sip::HeaderId::other;
    bool written = false;  // by a rule: checked by the header's typed parser at the end
  };

  // Views into `message`, which must outlive this and not be edited meanwhile (an edited one is
  // read through reparsed() by the caller).
  explicit RuleMessage(const sip::Message& message);

  bool is_request() const { return is_request_; }
  int status() const { return status_; }
  // The request's method, or the method of the response's CSeq.
  std::string_view method() const { return method_; }
  std::string_view request_uri() const { return request_uri_; }
  void set_request_uri(std::string text) { request_uri_ = keep(std::move(text)); }

  std::vector<Line>& lines() { return lines_; }
  const std::vector<Line>& lines() const { return lines_; }
  std::string_view body() const { return body_; }
  void set_body(std::string text) { body_ = keep(std::move(text)); }

  // Stores `text` for as long as this lives and returns a view of it; views handed out before
  // stay valid (captures taken from a value survive the value's replacement).
  std::string_view keep(std::string text);

  // The start line, the lines and the body; Content-Length says the body's size.
  std::string serialize() const;

 private:
  const sip::Message& message_;
  bool is_request_ = true;
  int status_ = 0;
  std::string_view method_;
  std::string_view request_uri_;
  std::vector<Line> lines_;
  std::string_view body_;
  std::deque<std::string> storage_;
};

}  // namespace osprey::sbc
