#include "sip/message.hpp"

#include <cstdint>
#include <cstring>

#include "sip/char_class.hpp"
#include "sip/line_scan.hpp"
#include "sip/scanner.hpp"

namespace osprey::sip {
namespace {

constexpr std::uint64_t kMaxCSeq = (1ULL << 31) - 1;  // RFC 3261 §8.1.1.5

// "SIP/" 1*DIGIT "." 1*DIGIT, with "SIP" case-insensitive (ABNF literals are).
bool is_sip_version(std::string_view v) {
  if (v.size() < 7 || !iequals(v.substr(0, 4), "SIP/")) return false;
  std::size_t dot = v.find('.', 4);
  if (dot == std::string_view::npos || dot == 4 || dot + 1 == v.size()) return false;
  for (std::size_t i = 4; i < v.size(); ++i)
    if (i != dot && !is_digit(v[i])) return false;
  return true;
}

// callid = word [ "@" word ]
bool is_call_id(std::string_view id) {
  std::size_t at = id.find('@');
  auto is_word = [](std::string_view w) {
    if (w.empty()) return false;
    for (char c : w)
      if (!is_class(c, kWord)) return false;
    return true;
  };
  if (at == std::string_view::npos) return is_word(id);
  return is_word(id.substr(0, at)) && is_word(id.substr(at + 1));
}

}  // namespace

Result<Message> Message::parse(std::string data, const ParseOptions& options) {
  // Built in the Result it is returned in: a Message is large (its header index is inline) and
  // moving it out of a local cost as much as a tenth of the parse.
  Result<Message> result(tl::in_place, ConstructionKey{});
  Message& m = *result;
  // Views into owned_ must survive moves of the Message: keep the bytes on the heap, where a
  // std::string move does not relocate them (short strings would live inline).
  if (data.capacity() < 32) data.reserve(32);
  m.owned_ = std::move(data);
  m.buffer_ = m.owned_;
  if (auto scanned = m.scan(options); !scanned) result = tl::unexpected(std::move(scanned.error()));
  return result;
}

Result<Message> Message::parse_borrowed(std::string_view data, const ParseOptions& options) {
  Result<Message> result(tl::in_place, ConstructionKey{});
  Message& m = *result;
  m.buffer_ = data;
  if (auto scanned = m.scan(options); !scanned) result = tl::unexpected(std::move(scanned.error()));
  return result;
}

namespace {

// Moves the views that point into one buffer to the same places in a copy of it. Views that
// point elsewhere (string literals) stay as they are.
class Rebase {
 public:
  Rebase(std::string_view from, std::string_view to) : from_(from), to_(to) {}

  void operator()(std::string_view& view) const {
    const auto begin = reinterpret_cast<std::uintptr_t>(from_.data());
    const auto at = reinterpret_cast<std::uintptr_t>(view.data());
    if (view.data() == nullptr || at < begin || at + view.size() > begin + from_.size()) return;
    view = std::string_view(to_.data() + (at - begin), view.size());
  }
  // Every view of these types. The sizes below change when a member is added: then add it here
  // too, or the copy would keep pointing into the original's bytes.
  void operator()(Uri& uri) const {
    static_assert(sizeof(Uri) == 152, "a new member of Uri: re-point it in Rebase");
    for (std::string_view* view : {&uri.text, &uri.scheme_name, &uri.user, &uri.password, &uri.host,
                                   &uri.params, &uri.headers, &uri.opaque}) {
      (*this)(*view);
    }
  }
  void operator()(Via& via) const {
    static_assert(sizeof(Via) == 200, "a new member of Via: re-point it in Rebase");
    for (std::string_view* view :
         {&via.text, &via.protocol_name, &via.protocol_version, &via.transport, &via.host, &via.params,
          &via.branch, &via.received, &via.rport, &via.maddr}) {
      (*this)(*view);
    }
  }
  void operator()(NameAddr& name_addr) const {
    static_assert(sizeof(NameAddr) == 208, "a new member of NameAddr: re-point it in Rebase");
    (*this)(name_addr.text);
    (*this)(name_addr.display_name);
    (*this)(name_addr.uri);
    (*this)(name_addr.params);
  }

 private:
  std::string_view from_;
  std::string_view to_;
};

}  // namespace

Message Message::clone() const {
  // A member-wise copy with its views moved to the copy's bytes: the same Message a parse of
  // those bytes gives (edits included, as their offsets do not depend on where the bytes live),
  // without parsing again, which cost as much as the rest of forwarding a request.
  Message m(*this);
  if (buffer_.data() != owned_.data() || buffer_.size() != owned_.size()) m.owned_.assign(buffer_);
  // On the heap whatever the size, as parse() keeps it: bytes in a string's inline buffer would
  // move with the Message and leave its views behind.
  m.owned_.reserve(32);
  m.buffer_ = m.owned_;
  const Rebase rebase(buffer_, m.buffer_);
  static_assert(sizeof(CSeq) == 32, "a new member of CSeq: re-point it below");
  static_assert(sizeof(Message) == 1768, "a new member of Message: if it is a view, re-point it below");
  for (std::string_view* view : {&m.method_text_, &m.request_uri_text_, &m.version_, &m.reason_})
    rebase(*view);
  rebase(m.request_uri_);
  if (m.top_via_) rebase(*m.top_via_);
  if (m.cseq_) rebase(m.cseq_->method_text);
  if (m.call_id_) rebase(*m.call_id_);
  if (m.from_) rebase(*m.from_);
  if (m.to_) rebase(*m.to_);
  return m;
}

Result<Message> Message::reparsed(const ParseOptions& options) const {
  if (!edited_) return clone();
  return parse(serialize(), options);
}

bool Message::version_is_2_0() const { return iequals(version_, "SIP/2.0"); }

Result<void> Message::parse_start_line(std::string_view line) {
  if (line.size() >= 4 && iequals(line.substr(0, 4), "SIP/")) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF
    is_request_ = false;
    std::size_t sp = line.find(' ');
    version_ = line.substr(0, sp);
    if (sp == std::string_view::npos || !is_sip_version(version_)) {
      return make_error(ErrorCategory::start_line, "Malformed status line", {}, 0, 0);
    }
    std::string_view rest = line.substr(sp + 1);
    std::size_t digits = 0;
    while (digits < rest.size() && is_digit(rest[digits])) ++digits;
    if (digits != 3 || (digits < rest.size() && rest[digits] != ' ')) {
      return make_error(ErrorCategory::start_line, "Malformed status code", {}, sp + 1, 0);
    }
    status_ = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
    if (status_ < 100 || status_ > 699) {
      return make_error(ErrorCategory::start_line, "Status code out of range", {}, sp + 1, 0);
    }
    // Tolerated: a status line without the SP before an empty reason phrase.
    reason_ = digits < rest.size() ? rest.substr(digits + 1) : std::string_view{};
    for (char c : reason_) {
      if (c == '\r' || c == '\n' || c == '\0') {
        return make_error(ErrorCategory::start_line, "Malformed reason phrase", {}, sp + 5, 0);
      }
    }
    return {};
  }
  // Request-Line = Method SP Request-URI SP SIP-Version CRLF: exactly one SP between elements
  // (RFC 4475 §3.1.2.8-3.1.2.10 reject extra or trailing SP and LWS in the Request-URI).
  is_request_ = true;
  std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) {
    return make_error(ErrorCategory::start_line, "Malformed request line");
  }
  method_text_ = line.substr(0, sp1);
  if (!is_token(method_text_)) return make_error(ErrorCategory::start_line, "Malformed method");
  method_ = lookup_method(method_text_);
  std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) {
    return make_error(ErrorCategory::start_line, "Malformed request line", {}, sp1 + 1);
  }
  request_uri_text_ = line.substr(sp1 + 1, sp2 - sp1 - 1);
  version_ = line.substr(sp2 + 1);
  if (!is_sip_version(version_)) {
    return make_error(ErrorCategory::start_line, "Malformed SIP-Version in request line", {}, sp2 + 1);
  }
  auto uri = parse_uri(request_uri_text_, UriParseOptions{.allow_headers = false});
  if (!uri) {
    return make_error(ErrorCategory::uri, "Malformed Request-URI: " + uri.error().reason, {},
                      sp1 + 1 + uri.error().offset);
  }
  request_uri_ = *uri;
  return {};
}

Result<void> Message::parse_key_header(HeaderField& field) {
  std::string_view v = value(field);
  std::size_t offset = field.value_begin;
  auto error = [&](std::string reason) {
    return make_error(ErrorCategory::header_syntax, std::move(reason), std::string(canonical_name(field.id)),
                      offset);
  };
  switch (field.id) {
    case HeaderId::via: {
      if (top_via_) return {};
      auto via = parse_first_via(v, offset);
      if (!via) return tl::unexpected(via.error());
      top_via_ = *via;
      return {};
    }
    case HeaderId::cseq: {
      if (cseq_) return {};
      // CSeq = 1*DIGIT LWS Method
      Scanner s(v);
      std::string_view digits = s.take_class(kDigit);
      auto number = parse_decimal(digits, kMaxCSeq);
      if (!number) return error("Malformed CSeq number");
      if (!s.skip_lws()) return error("Malformed CSeq");
      std::string_view method = s.take_token();
      s.skip_lws();
      if (method.empty() || !s.at_end()) return error("Malformed CSeq method");
      cseq_ = CSeq{static_cast<std::uint32_t>(*number), method, lookup_method(method)};
      return {};
    }
    case HeaderId::call_id:
      if (call_id_) return {};
      if (!is_call_id(v)) return error("Malformed Call-ID");
      call_id_ = v;
      return {};
    case HeaderId::from:
    case HeaderId::to: {
      auto& slot = field.id == HeaderId::from ? from_ : to_;
      if (slot) return {};
      auto na = parse_name_addr(v, canonical_name(field.id), offset);
      if (!na) return tl::unexpected(na.error());
      slot = *na;
      return {};
    }
    case HeaderId::max_forwards: {
      if (max_forwards_) return {};
      auto n = parse_decimal(v, 255);
      if (!n) return error("Malformed Max-Forwards");
      max_forwards_ = static_cast<std::uint32_t>(*n);
      return {};
    }
    case HeaderId::content_length: {
      // RFC 4475 §3.3.9: two Content-Length values make the framing unknowable.
      if (content_length_) {
        return make_error(ErrorCategory::content_length, "Multiple Content-Length headers", "Content-Length",
                          offset);
      }
      auto n = parse_decimal(v, 0xFFFFFFFFULL);
      if (!n) {
        return make_error(ErrorCategory::content_length, "Malformed Content-Length", "Content-Length",
                          offset);
      }
      content_length_ = static_cast<std::uint32_t>(*n);
      return {};
    }
    default: return {};
  }
}

namespace {

// Why scanning stopped, as a plain value: no ParseError (and no allocation) until Message::scan
// turns it into one. The scan steps below return it, or nothing when the input is well formed.
struct ScanStop {
  ErrorCategory category;
  const char* reason;
  std::size_t offset;
  int status = 400;
};

// RFC 3261 §7.5: CRLF before the start line is ignored. Sets `pos` to the start line's first
// byte and `line_end` to its LF.
std::optional<ScanStop> find_start_line(std::string_view data, const ParseOptions& options, std::size_t& pos,
                                        std::size_t& line_end) {
  while (pos + 1 < data.size() && data[pos] == '\r' && data[pos + 1] == '\n') pos += 2;
  line_end = data.find('\n', pos);
  if (line_end == std::string_view::npos)
    return ScanStop{ErrorCategory::start_line, "Incomplete start line", pos};
  if (line_end == pos || data[line_end - 1] != '\r')
    return ScanStop{ErrorCategory::start_line, "Malformed start line", pos};
  if (line_end - pos > options.max_line_length)
    return ScanStop{ErrorCategory::too_large, "Start line too long", pos, 414};
  return std::nullopt;
}

// Sets `end` past the CRLF that ends the header line starting at `line_begin`, following folded
// continuation lines (RFC 3261 §7.3.1). A CR or LF that is not half of a CRLF is refused.
std::optional<ScanStop> find_header_end_slowly(std::string_view data, std::size_t line_begin,
                                               std::size_t& end) {
  while (true) {
    std::size_t nl = data.find('\n', end);
    if (nl == std::string_view::npos) {
      return ScanStop{ErrorCategory::header_syntax, "Header section not terminated", line_begin};
    }
    if (nl == 0 || data[nl - 1] != '\r')
      return ScanStop{ErrorCategory::header_syntax, "Bare LF in header", nl};
    // A CR is only ever the first half of a line break (RFC 3261 §7.3.1).
    if (std::string_view line = data.substr(end, nl - 1 - end); line.find('\r') != std::string_view::npos) {
      return ScanStop{ErrorCategory::header_syntax, "Bare CR in header", end + line.find('\r')};
    }
    end = nl + 1;
    if (end < data.size() && is_wsp(data[end])) continue;  // folded line (RFC 3261 §7.3.1)
    return std::nullopt;
  }
}

// The same, one search for CR or LF per line (line_scan.hpp). A line ending in CRLF with no
// CR or LF before it is the common case; anything else (a bare CR or LF, no line end at all) is
// left to the byte searches above from that line on, so a defective line is refused with the
// very reason and offset it always was.
std::optional<ScanStop> find_header_end(std::string_view data, std::size_t line_begin, std::size_t& end) {
  const char* const begin = data.data();
  const char* const data_end = begin + data.size();
  end = line_begin;
  while (true) {
    const char* line_break = find_cr_or_lf(begin + end, data_end);
    if (line_break + 1 >= data_end || line_break[0] != '\r' || line_break[1] != '\n') {
      return find_header_end_slowly(data, line_begin, end);
    }
    end = static_cast<std::size_t>(line_break - begin) + 2;
    if (end < data.size() && is_wsp(data[end])) continue;  // folded line (RFC 3261 §7.3.1)
    return std::nullopt;
  }
}

// RFC 3261 §7.3.1: header-name HCOLON value; HCOLON = *( SP / HTAB ) ":" SWS. Fills `field`
// with the positions of the name and the value of the line [line_begin, end) and its id.
std::optional<ScanStop> split_header_line(std::string_view data, std::size_t line_begin, std::size_t end,
                                          HeaderField& field) {
  std::size_t i = line_begin;
  while (i < end && is_token_char(data[i])) ++i;
  std::size_t name_end = i;
  if (name_end == line_begin || name_end - line_begin > 0xFFFF) {
    return ScanStop{ErrorCategory::header_syntax, "Malformed header name", line_begin};
  }
  while (i < end && is_wsp(data[i])) ++i;
  if (i >= end || data[i] != ':')
    return ScanStop{ErrorCategory::header_syntax, "Malformed header line", line_begin};
  ++i;
  std::size_t value_end = end - 2;
  Scanner lws(data.substr(i, value_end - i));
  lws.skip_lws();
  std::size_t value_begin = i + lws.pos();
  // Trailing LWS, including a fold followed by nothing ("5\r\n \r\n"), is not part of the value.
  while (value_end > value_begin &&
         (is_wsp(data[value_end - 1]) || data[value_end - 1] == '\r' || data[value_end - 1] == '\n')) {
    --value_end;
  }
  field.line_begin = static_cast<std::uint32_t>(line_begin);
  field.line_end = static_cast<std::uint32_t>(end);
  field.value_begin = static_cast<std::uint32_t>(value_begin);
  field.value_end = static_cast<std::uint32_t>(value_end);
  field.name_length = static_cast<std::uint16_t>(name_end - line_begin);
  field.id = lookup_header(data.substr(line_begin, name_end - line_begin));
  return std::nullopt;
}

// The headers parse_key_header reads; the others are only indexed here (most lines of a message).
constexpr bool is_key_header(HeaderId id) {
  switch (id) {
    case HeaderId::via:
    case HeaderId::cseq:
    case HeaderId::call_id:
    case HeaderId::from:
    case HeaderId::to:
    case HeaderId::max_forwards:
    case HeaderId::content_length: return true;
    default: return false;
  }
}

// Sets `body_length` from Content-Length, or to the rest of the datagram without one (RFC 3261
// §18.3); on a stream Content-Length is required and must frame exactly the bytes there are.
std::optional<ScanStop> frame_body(std::optional<std::uint32_t> content_length, std::size_t pos,
                                   std::size_t available, const ParseOptions& options,
                                   std::uint32_t& body_length) {
  if (!content_length) {
    if (options.stream)
      return ScanStop{ErrorCategory::content_length, "Missing Content-Length on a stream", pos};
    body_length = static_cast<std::uint32_t>(available);  // RFC 3261 §18.3: the rest of the datagram
    return std::nullopt;
  }
  if (*content_length > options.max_message_size) {
    return ScanStop{ErrorCategory::too_large, "Message Too Large", pos, 513};
  }
  if (*content_length > available) {
    // RFC 3261 §18.3: over UDP a Content-Length larger than the datagram is an error.
    return ScanStop{ErrorCategory::content_length, "Content-Length larger than the message", pos};
  }
  if (options.stream && *content_length != available) {
    return ScanStop{ErrorCategory::content_length, "Content-Length does not match the message", pos};
  }
  body_length = *content_length;
  return std::nullopt;
}

}  // namespace

Result<void> Message::scan(const ParseOptions& options) {
  std::string_view data = buffer_;
  auto fail = [&](ErrorCategory category, std::string reason, std::size_t offset, int status = 400) {
    // Responses are never answered: a defective one is dropped (RFC 4475 §3.1.2.5, §3.1.2.19).
    if (!is_request_) status = 0;
    return make_error(category, std::move(reason), {}, offset, status);
  };
  auto stopped = [&](const ScanStop& stop) {
    return fail(stop.category, stop.reason, stop.offset, stop.status);
  };
  if (data.size() > 0xFFFFFFF0ULL) return fail(ErrorCategory::too_large, "Message Too Large", 0, 513);

  std::size_t pos = 0;
  std::size_t line_end = 0;
  if (auto stop = find_start_line(data, options, pos, line_end)) return stopped(*stop);
  auto start = parse_start_line(data.substr(pos, line_end - 1 - pos));
  if (!start) {
    ParseError e = std::move(start.error());
    e.offset += pos;
    if (!is_request_) e.server_status = 0;
    return tl::unexpected(std::move(e));
  }
  start_line_end_ = static_cast<std::uint32_t>(line_end + 1);
  std::size_t message_begin = pos;

  pos = line_end + 1;
  bool terminated = false;
  while (pos < data.size()) {
    // Empty line: end of the header section.
    if (data[pos] == '\r') {
      if (pos + 1 < data.size() && data[pos + 1] == '\n') {
        pos += 2;
        terminated = true;
        break;
      }
      return fail(ErrorCategory::header_syntax, "Malformed header line", pos);
    }
    if (is_wsp(data[pos])) return fail(ErrorCategory::header_syntax, "Continuation line without header", pos);
    std::size_t line_begin = pos;
    std::size_t end = pos;
    if (auto stop = find_header_end(data, line_begin, end)) return stopped(*stop);
    if (end - line_begin > options.max_line_length) {
      return fail(ErrorCategory::too_large, "Header line too long", line_begin, 513);
    }
    if (fields_.size() >= options.max_headers) {
      return fail(ErrorCategory::too_large, "Too many headers", line_begin, 513);
    }
    HeaderField field;
    if (auto stop = split_header_line(data, line_begin, end, field)) return stopped(*stop);
    if (is_key_header(field.id)) {
      auto key = parse_key_header(field);
      if (!key) {
        ParseError e = std::move(key.error());
        if (!is_request_) e.server_status = 0;
        return tl::unexpected(std::move(e));
      }
    }
    fields_.push_back(field);
    pos = end;
  }
  if (!terminated) {
    // The bytes ended right after a header line's CRLF with no empty line.
    if (options.stream || !options.accept_unterminated_datagram) {
      return fail(ErrorCategory::header_syntax, "Header section not terminated", pos);
    }
  }
  headers_end_ = static_cast<std::uint32_t>(pos);
  body_begin_ = headers_end_;
  if (auto stop = frame_body(content_length_, pos, data.size() - pos, options, body_length_))
    return stopped(*stop);
  wire_size_ = body_begin_ + body_length_;
  if (wire_size_ - message_begin > options.max_message_size) {
    return fail(ErrorCategory::too_large, "Message Too Large", 0, 513);
  }
  message_begin_ = static_cast<std::uint32_t>(message_begin);
  return {};
}

std::string_view Message::name(const HeaderField& field) const {
  std::string_view src = field.in_arena() ? std::string_view(arena_) : buffer_;
  return src.substr(field.line_begin, field.name_length);
}

std::string_view Message::value(const HeaderField& field) const {
  std::string_view src = field.in_arena() ? std::string_view(arena_) : buffer_;
  return src.substr(field.value_begin, field.value_end - field.value_begin);
}

std::string_view Message::body() const {
  if (new_body_) return arena_text(new_body_->first, new_body_->second);
  return buffer_.substr(body_begin_, body_length_);
}

std::size_t Message::count(HeaderId id) const {
  std::size_t n = 0;
  for (const HeaderField& f : fields_)
    if (f.id == id && !f.removed()) ++n;
  return n;
}

std::optional<std::string_view> Message::first_value(HeaderId id) const {
  for (const HeaderField& f : fields_)
    if (f.id == id && !f.removed()) return value(f);
  return std::nullopt;
}

std::optional<std::string_view> Message::first_value(std::string_view header_name) const {
  HeaderId id = lookup_header(header_name);
  if (id != HeaderId::other) return first_value(id);
  for (const HeaderField& f : fields_)
    if (f.id == HeaderId::other && !f.removed() && iequals(name(f), header_name)) return value(f);
  return std::nullopt;
}

}  // namespace osprey::sip
