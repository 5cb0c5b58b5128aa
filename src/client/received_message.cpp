#include "client/received_message.hpp"
#include "sip/char_class.hpp"

#include "sip/date_header.hpp"
#include "sip/header_id.hpp"

namespace osprey::client {

namespace {

bool is_text(std::string_view content_type) {
  // RFC 3428 §4 / RFC 3261 §7.4.1: no Content-Type with a body means nothing is known about it;
  // treat it as text rather than hide it. Media types are case-insensitive (RFC 2045 §5.1).
  constexpr std::string_view kText = "text/";
  if (content_type.size() < kText.size()) return false;
  for (std::size_t i = 0; i < kText.size(); ++i) {
    if (sip::ascii_lower(content_type[i]) != kText[i]) return false;
  }
  return true;
}

std::string sender_of(const sip::Message& request) {
  if (!request.from()) return "(no From)";
  const sip::NameAddr& from = *request.from();
  const std::string display = from.display_text();
  const std::string uri = printable(from.uri.text);
  return display.empty() ? uri : printable(display) + " <" + uri + ">";
}

}  // namespace

std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t' && c != '\n') || byte == 0x7f) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

ReceivedMessage read_received_message(const sip::Message& request, std::int64_t received_unix_seconds) {
  ReceivedMessage message;
  std::int64_t when = received_unix_seconds;
  // A malformed Date is no reason to lose the message: the receive time stands in for it.
  if (auto date = sip::date(request); date && *date) when = (*date)->unix_seconds();
  message.time = sip::format_date(when);
  message.sender = sender_of(request);
  const std::string_view body = request.body();
  const std::string_view type = request.first_value(sip::HeaderId::content_type).value_or("");
  if (body.empty() || type.empty() || is_text(type)) {
    // CRLF line ends (common from SIP phones) print as plain line ends.
    std::string text;
    for (std::size_t i = 0; i < body.size(); ++i) {
      if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') continue;
      text += body[i];
    }
    message.text = printable(text);
  } else {
    message.text = "(" + printable(type) + ", " + std::to_string(body.size()) + " bytes, not shown)";
  }
  return message;
}

std::string format_received_message(const ReceivedMessage& message) {
  std::string block = message.time + "  " + message.sender + "\n";
  // Each line indented: a line of the text can never pass for the start of the next block.
  std::size_t start = 0;
  while (start < message.text.size()) {
    std::size_t end = message.text.find('\n', start);
    if (end == std::string::npos) end = message.text.size();
    block += "  " + message.text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return block;
}

}  // namespace osprey::client
