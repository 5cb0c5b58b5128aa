#pragma once
// A parsed SIP message (RFC 3261 §7). It owns (or borrows) one buffer; every name and value is a
// view into it. The start line and the transaction key (top Via, CSeq, Call-ID, From, To,
// Max-Forwards, Content-Length) are parsed eagerly; every other header is only located by the
// framing scan and parsed into its typed form when asked for (see the typed header files).
//
// Edits (add/remove/replace headers, prepend Via, pop Route, new Request-URI or body) are
// recorded beside the original bytes; serialize() copies untouched lines byte-exact and
// recomputes Content-Length. The eagerly parsed fields are not kept up to date: an edit that
// changes one (a Via on top, a new CSeq, a new Request-URI or body) makes it stale, and reading
// a stale one is a programmer error that debug builds stop at (an assert; release builds pay
// nothing). reparsed() gives the edited message with every field current.

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sip/error.hpp"
#include "sip/header_id.hpp"
#include "sip/inline_vector.hpp"
#include "sip/method.hpp"
#include "sip/name_addr.hpp"
#include "sip/uri.hpp"
#include "sip/via.hpp"

namespace osprey::sip {

struct ParseOptions {
  std::size_t max_message_size = 64 * 1024;  // larger: 513 Message Too Large
  std::size_t max_headers = 256;
  std::size_t max_line_length = 8 * 1024;  // one header line including folded continuations
  // Stream transports (RFC 3261 §18.3): Content-Length is mandatory and must match the bytes.
  bool stream = false;
  // Tolerated quirk: a datagram whose last header line ends in CRLF but has no empty line after
  // it (RFC 4475 baddn's archive form). The end of the datagram ends the header section.
  bool accept_unterminated_datagram = true;
};

struct CSeq {
  std::uint32_t number = 0;  // RFC 3261 §8.1.1.5: less than 2**31
  std::string_view method_text;
  Method method = Method::unknown;
};

// Where one header line sits: offsets into the message buffer, or into the edit arena.
struct HeaderField {
  std::uint32_t line_begin = 0;   // first byte of the name
  std::uint32_t line_end = 0;     // one past the line's final CRLF
  std::uint32_t value_begin = 0;  // first byte of the value (after HCOLON)
  std::uint32_t value_end = 0;    // one past the value's last non-whitespace byte
  std::uint16_t name_length = 0;
  HeaderId id = HeaderId::other;
  std::uint8_t flags = 0;

  static constexpr std::uint8_t kInArena = 1;
  static constexpr std::uint8_t kRemoved = 2;
  bool in_arena() const { return (flags & kInArena) != 0; }
  bool removed() const { return (flags & kRemoved) != 0; }
};

class Message {
 public:
  // Parses one message from `data`, which the Message keeps. For a datagram, bytes after the
  // body are ignored (RFC 3261 §18.3); wire_size() tells how many were used.
  static Result<Message> parse(std::string data, const ParseOptions& options = {});
  // Parses without copying: `data` must outlive the Message and stay unchanged.
  static Result<Message> parse_borrowed(std::string_view data, const ParseOptions& options = {});

  Message(Message&&) noexcept = default;
  Message& operator=(Message&&) noexcept = default;
  Message& operator=(const Message&) = delete;
  // An independent copy (owning its bytes), with the same edits.
  Message clone() const;
  // The message as edited, parsed again from its serialization: an independent copy whose
  // eagerly parsed fields (top Via, CSeq, Request-URI...) describe the edits. An unedited
  // message is cloned, its fields being current already. An error only if the edits made a
  // message that does not parse (or outgrows `options`).
  Result<Message> reparsed(const ParseOptions& options = {}) const;

  // Start line.
  bool is_request() const { return is_request_; }
  bool is_response() const { return !is_request_; }
  Method method() const { return method_; }
  std::string_view method_text() const { return method_text_; }
  const Uri& request_uri() const {
    expect_current(kRequestUriField);
    return request_uri_;
  }
  int status() const { return status_; }
  std::string_view reason() const { return reason_; }
  std::string_view version() const { return version_; }  // "SIP/2.0"
  bool version_is_2_0() const;

  // The transaction key, parsed eagerly (first occurrence of each header). After an edit of
  // that header, read it from reparsed().
  const std::optional<Via>& top_via() const {
    expect_current(kTopViaField);
    return top_via_;
  }
  const std::optional<CSeq>& cseq() const {
    expect_current(kCSeqField);
    return cseq_;
  }
  const std::optional<std::string_view>& call_id() const {
    expect_current(kCallIdField);
    return call_id_;
  }
  const std::optional<NameAddr>& from() const {
    expect_current(kFromField);
    return from_;
  }
  const std::optional<NameAddr>& to() const {
    expect_current(kToField);
    return to_;
  }
  const std::optional<std::uint32_t>& max_forwards() const {
    expect_current(kMaxForwardsField);
    return max_forwards_;
  }
  const std::optional<std::uint32_t>& content_length() const {
    expect_current(kContentLengthField);
    return content_length_;
  }

  // The body (after edits) and the bytes the message took in its buffer (leading CRLFs included).
  std::string_view body() const;
  std::size_t wire_size() const { return wire_size_; }
  // The original bytes of the message (start line to end of body), as received.
  std::string_view raw() const { return buffer_.substr(message_begin_, wire_size_ - message_begin_); }

  // Header lines in order, edits included; removed lines are skipped by the helpers below.
  const InlineVector<HeaderField, 32>& fields() const { return fields_; }
  std::string_view name(const HeaderField& field) const;
  std::string_view value(const HeaderField& field) const;

  // Number of header lines with this id / name (not counting removed ones).
  std::size_t count(HeaderId id) const;
  // The value of the first line with this id / name (case-insensitive, compact forms too).
  std::optional<std::string_view> first_value(HeaderId id) const;
  std::optional<std::string_view> first_value(std::string_view name) const;
  // Calls visit(value) for each line with this id, in order; visit returns false to stop.
  template <typename Visit>
  void for_each_line(HeaderId id, Visit&& visit) const {
    for (const HeaderField& f : fields_) {
      if (f.id == id && !f.removed() && !visit(value(f))) return;
    }
  }
  // Same, but for list headers (RFC 3261 §7.3.1) each comma-separated element is visited.
  template <typename Visit>
  void for_each_element(HeaderId id, Visit&& visit) const;

  // Editing.
  void add_header(std::string_view name, std::string_view value);  // appended after the last header
  void add_header(HeaderId id, std::string_view value) { add_header(canonical_name(id), value); }
  // Inserted before the first header with this id (or at the top if there is none).
  void prepend_header(HeaderId id, std::string_view value);
  // Removes every line with this id; returns how many.
  std::size_t remove_headers(HeaderId id);
  std::size_t remove_headers(std::string_view name);
  // Replaces every line with this id by one line with `value`, where the first one was.
  void replace_header(HeaderId id, std::string_view value);
  // RFC 3261 §16.6 step 8: the proxy's Via goes on top.
  void prepend_via(std::string_view value) { prepend_header(HeaderId::via, value); }
  // Removes the first element of the first line of a list header (the top Via of a response,
  // RFC 3261 §16.7 step 3; the first Route, §16.4). Returns the removed element.
  std::optional<std::string> remove_first_element(HeaderId id);
  // RFC 3261 §18.2.1, RFC 3581 §4: replaces the top Via element by `element`, which is that
  // element with `received` and `rport` filled in on receipt. Its sent-protocol, sent-by and
  // branch (what the transaction key reads) do not change, so top_via() stays readable; it
  // reads `received` and `rport` as they arrived.
  void stamp_top_via(std::string_view element);
  void set_request_uri(std::string_view uri);
  // Replaces the body; Content-Type is replaced too unless `content_type` is empty.
  void set_body(std::string_view body, std::string_view content_type = {});
  bool edited() const { return edited_; }

  // The message on the wire: byte-exact for untouched parts, Content-Length recomputed after edits.
  std::string serialize() const;
  void serialize_to(std::string& out) const;

 private:
  // One bit per eagerly parsed field, set in stale_ by the edits that change it.
  static constexpr std::uint8_t kRequestUriField = 1;
  static constexpr std::uint8_t kTopViaField = 2;
  static constexpr std::uint8_t kCSeqField = 4;
  static constexpr std::uint8_t kCallIdField = 8;
  static constexpr std::uint8_t kFromField = 16;
  static constexpr std::uint8_t kToField = 32;
  static constexpr std::uint8_t kMaxForwardsField = 64;
  static constexpr std::uint8_t kContentLengthField = 128;
  static std::uint8_t eager_field(HeaderId id);
  void expect_current([[maybe_unused]] std::uint8_t field) const {
    assert((stale_ & field) == 0 && "an edit changed this field since the parse: read it from reparsed()");
  }

  // Only Message's own functions can name this, so only they construct an empty Message; it
  // lets parse() build its Message inside the Result it returns instead of moving it there.
  struct ConstructionKey {
    explicit ConstructionKey() = default;
  };

 public:
  explicit Message(ConstructionKey /*key*/) {}

 private:
  Message() = default;
  // Member-wise, views included: only clone() uses it, and re-points the views to the copy.
  Message(const Message&) = default;
  Result<void> scan(const ParseOptions& options);
  Result<void> parse_start_line(std::string_view line);
  Result<void> parse_key_header(HeaderField& field);
  std::string_view arena_text(std::uint32_t begin, std::uint32_t end) const {
    return std::string_view(arena_).substr(begin, end - begin);
  }
  std::size_t first_index(HeaderId id) const;
  void insert_line(std::size_t index, std::string_view name, std::string_view value);

  std::string owned_;        // the bytes, when the Message owns them
  std::string_view buffer_;  // the bytes parsed (owned_ or borrowed)
  std::string arena_;        // bytes added by edits
  InlineVector<HeaderField, 32> fields_;

  bool is_request_ = true;
  Method method_ = Method::unknown;
  std::string_view method_text_;
  std::string_view request_uri_text_;
  Uri request_uri_;
  std::string_view version_;
  int status_ = 0;
  std::string_view reason_;
  std::uint32_t message_begin_ = 0;   // after any CRLF keep-alive before the start line
  std::uint32_t start_line_end_ = 0;  // one past the start line's CRLF
  std::uint32_t headers_end_ = 0;     // one past the empty line (= body start)
  std::uint32_t body_begin_ = 0;
  std::uint32_t body_length_ = 0;
  std::size_t wire_size_ = 0;

  std::optional<Via> top_via_;
  std::optional<CSeq> cseq_;
  std::optional<std::string_view> call_id_;
  std::optional<NameAddr> from_;
  std::optional<NameAddr> to_;
  std::optional<std::uint32_t> max_forwards_;
  std::optional<std::uint32_t> content_length_;

  // Edits.
  bool edited_ = false;
  std::uint8_t stale_ = 0;  // eager fields an edit has changed (k...Field bits)
  std::optional<std::pair<std::uint32_t, std::uint32_t>> new_request_uri_;  // arena range
  std::optional<std::pair<std::uint32_t, std::uint32_t>> new_body_;         // arena range
};

}  // namespace osprey::sip

#include "sip/value_list.hpp"

namespace osprey::sip {

template <typename Visit>
void Message::for_each_element(HeaderId id, Visit&& visit) const {
  bool go_on = true;
  for (const HeaderField& f : fields_) {
    if (f.id != id || f.removed()) continue;
    if (is_list_header(id)) {
      for_each_list_element(value(f), [&](std::string_view element) { return go_on = visit(element); });
    } else {
      go_on = visit(value(f));
    }
    if (!go_on) return;
  }
}

}  // namespace osprey::sip
