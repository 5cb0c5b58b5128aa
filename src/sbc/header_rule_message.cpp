#include "sbc/header_rule_message.hpp"

namespace osprey::sbc {

RuleMessage::RuleMessage(const sip::Message& message)
    : message_(message), is_request_(message.is_request()), status_(message.status()), body_(message.body()) {
  if (is_request_) {
    method_ = message.method_text();
    request_uri_ = message.request_uri().text;
  } else if (const auto& cseq = message.cseq()) {
    method_ = cseq->method_text;
  }
  lines_.reserve(message.fields().size() + 4);
  for (const sip::HeaderField& field : message.fields()) {
    if (field.removed()) continue;
    lines_.push_back(Line{message.name(field), message.value(field), field.id, false});
  }
}

std::string_view RuleMessage::keep(std::string text) { return storage_.emplace_back(std::move(text)); }

std::string RuleMessage::serialize() const {
  std::size_t size = 64 + body_.size() + request_uri_.size();
  for (const Line& line : lines_) size += line.name.size() + line.value.size() + 4;
  std::string out;
  out.reserve(size);
  if (is_request_) {
    out.append(message_.method_text()).append(" ").append(request_uri_).append(" ");
    out.append(message_.version()).append("\r\n");
  } else {
    out.append(message_.version()).append(" ").append(std::to_string(status_)).append(" ");
    out.append(message_.reason()).append("\r\n");
  }
  bool length_written = false;
  const std::string length = std::to_string(body_.size());
  for (const Line& line : lines_) {
    out.append(line.name).append(": ");
    if (line.id == sip::HeaderId::content_length) {
      // RFC 3261 §20.14: the body's size, whatever a body rule did to it; once.
      if (length_written) {
        out.resize(out.size() - line.name.size() - 2);
        continue;
      }
      out.append(length);
      length_written = true;
    } else {
      out.append(line.value);
    }
    out.append("\r\n");
  }
  if (!length_written) out.append("Content-Length: ").append(length).append("\r\n");
  out.append("\r\n");
  out.append(body_);
  return out;
}

}  // namespace osprey::sbc
