#include "sip/builder.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <iterator>

namespace osprey::sip {

std::string_view default_reason(int status) {
  switch (status) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 181: return "Call Is Being Forwarded";
    case 182: return "Queued";
    case 183: return "Session Progress";
    case 200: return "OK";
    case 202: return "Accepted";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Moved Temporarily";
    case 305: return "Use Proxy";
    case 380: return "Alternative Service";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 413: return "Request Entity Too Large";
    case 414: return "Request-URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Unsupported URI Scheme";
    case 420: return "Bad Extension";
    case 421: return "Extension Required";
    case 423: return "Interval Too Brief";
    case 429: return "Provide Referrer Identity";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 482: return "Loop Detected";
    case 483: return "Too Many Hops";
    case 484: return "Address Incomplete";
    case 485: return "Ambiguous";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 491: return "Request Pending";
    case 493: return "Undecipherable";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Server Time-out";
    case 505: return "Version Not Supported";
    case 513: return "Message Too Large";
    case 600: return "Busy Everywhere";
    case 603: return "Decline";
    case 604: return "Does Not Exist Anywhere";
    case 606: return "Not Acceptable";
    default: break;
  }
  if (status < 200) return "Provisional";
  if (status < 300) return "Success";
  if (status < 400) return "Redirection";
  if (status < 500) return "Client Error";
  if (status < 600) return "Server Error";
  return "Global Failure";
}

namespace {
void append_clean(std::string& out, std::string_view text) {
  // Values almost never hold CR or LF: append in one go (memchr is vectorised), fix up rarely.
  const std::size_t start = out.size();
  out.append(text);
  if (std::memchr(text.data(), '\r', text.size()) == nullptr &&
      std::memchr(text.data(), '\n', text.size()) == nullptr) {
    return;
  }
  for (std::size_t i = start; i < out.size(); ++i) {
    if (out[i] == '\r' || out[i] == '\n') out[i] = ' ';
  }
}
}  // namespace

MessageBuilder MessageBuilder::request(std::string_view method, std::string_view request_uri) {
  MessageBuilder b;
  append_clean(b.head_, method);
  b.head_.push_back(' ');
  append_clean(b.head_, request_uri);
  b.head_.append(" SIP/2.0\r\n");
  return b;
}

MessageBuilder MessageBuilder::response(int status, std::string_view reason) {
  MessageBuilder b;
  b.start_response(status, reason);
  return b;
}

void MessageBuilder::start_response(int status, std::string_view reason) {
  if (status < 100 || status > 699) status = 500;
  head_.append("SIP/2.0 ");
  const char digits[3] = {static_cast<char>('0' + status / 100), static_cast<char>('0' + status / 10 % 10),
                          static_cast<char>('0' + status % 10)};
  head_.append(digits, sizeof digits);
  head_.push_back(' ');
  append_clean(head_, reason.empty() ? default_reason(status) : reason);
  head_.append("\r\n");
}

MessageBuilder MessageBuilder::response_to(const Message& request, int status, std::string_view reason,
                                           std::string_view to_tag) {
  MessageBuilder b;
  // The copied lines are a part of the request, and what the caller adds is usually short:
  // one allocation instead of a chain of doublings (the reallocations showed in REGISTER profiles).
  b.head_.reserve(std::min<std::size_t>(request.raw().size(), 2048) + 256);
  b.start_response(status, reason);
  // Copy the header lines as they were received: the Via values must come back byte-exact
  // for the client's transaction matching (§17.1.3).
  for (const HeaderField& f : request.fields()) {
    if (f.removed()) continue;
    switch (f.id) {
      case HeaderId::via:
      case HeaderId::from:
      case HeaderId::call_id:
      case HeaderId::cseq: b.header(canonical_name(f.id), request.value(f)); break;
      case HeaderId::to:
        if (!to_tag.empty() && status > 100 && request.to() && request.to()->tag().empty()) {
          b.header(HeaderId::to, {request.value(f), ";tag=", to_tag});
        } else {
          b.header("To", request.value(f));
        }
        break;
      case HeaderId::timestamp:
        if (status == 100) b.header("Timestamp", request.value(f));
        break;
      default: break;
    }
  }
  return b;
}

void MessageBuilder::begin_header(std::string_view name) {
  append_clean(head_, name);
  head_.append(": ");
}

MessageBuilder& MessageBuilder::header(std::string_view name, std::string_view value) {
  begin_header(name);
  append_clean(head_, value);
  end_header();
  return *this;
}

MessageBuilder& MessageBuilder::header(HeaderId id, std::initializer_list<std::string_view> parts) {
  begin_header(canonical_name(id));
  for (std::string_view part : parts) append_clean(head_, part);
  end_header();
  return *this;
}

MessageBuilder& MessageBuilder::body(std::string_view content_type, std::string_view bytes) {
  if (!content_type.empty()) header(HeaderId::content_type, content_type);
  body_.assign(bytes);
  return *this;
}

namespace {
void append_length_and_body(std::string& out, std::string_view body) {
  char digits[24];
  const char* end = std::to_chars(std::begin(digits), std::end(digits), body.size()).ptr;
  out.append("Content-Length: ");
  out.append(digits, static_cast<std::size_t>(end - digits));
  out.append("\r\n\r\n");
  out.append(body);
}
// "Content-Length: ", up to 20 digits, CRLF CRLF: for reserve().
constexpr std::size_t kLengthLine = 40;
}  // namespace

std::string MessageBuilder::serialize() const& {
  std::string out;
  out.reserve(head_.size() + body_.size() + kLengthLine);
  out.append(head_);
  append_length_and_body(out, body_);
  return out;
}

std::string MessageBuilder::serialize() && {
  head_.reserve(head_.size() + body_.size() + kLengthLine);
  append_length_and_body(head_, body_);
  return std::move(head_);
}

Result<Message> MessageBuilder::build() const { return Message::parse(serialize()); }

}  // namespace osprey::sip
