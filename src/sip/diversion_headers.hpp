#pragma once
// Where a call went and why: Diversion (RFC 5806), History-Info (RFC 7044) and Reason
// (RFC 3326). All three are comma-separated lists; each has a per-element parser and a gatherer
// over every line of a message. Results are views into the value (or the message).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/error.hpp"
#include "sip/name_addr.hpp"
#include "sip/uri_header_fields.hpp"

namespace osprey::sip {

class Message;

struct Diversion {
  NameAddr address;
  // reason, privacy and screen are token / quoted-string: quotes removed, quoted-pairs as written.
  std::optional<std::string_view> reason;   // "user-busy", "no-answer", "unconditional"...
  std::optional<std::uint8_t> counter;      // 1*2DIGIT
  std::optional<std::uint8_t> limit;        // 1*2DIGIT
  std::optional<std::string_view> privacy;  // "full", "name", "uri", "off"...
  std::optional<std::string_view> screen;   // "yes", "no"...
};

// diversion-params = name-addr *(SEMI (diversion-reason / diversion-counter / diversion-limit /
// diversion-privacy / diversion-screen / diversion-extension)) (RFC 5806 §4 as corrected by
// erratum 3177: HCOLON, COMMA and SEMI, so LWS is allowed around the separators).
Result<Diversion> parse_diversion(std::string_view element);
Result<std::vector<Diversion>> diversions(const Message& message);

struct HistoryInfoEntry {
  NameAddr address;                    // the hi-targeted-to-uri; its URI may carry ?Reason= and ?Privacy=
  std::string_view index;              // "1.1.2"
  std::optional<std::string_view> rc;  // the index this entry was retargeted from (RFC 7044)
  std::optional<std::string_view> mp;
  std::optional<std::string_view> np;

  // The Reason header embedded in the URI (RFC 7044, RFC 3326), unescaped; nullopt if none.
  std::optional<std::string> reason() const { return uri_header(address.uri, "Reason"); }
  // How deep the entry is in the retargeting tree: the number of index components.
  std::size_t depth() const;
};

// hi-entry = hi-targeted-to-uri *( SEMI hi-param ); hi-targeted-to-uri = name-addr; hi-index =
// "index" EQUAL index-val (required by RFC 7044); rc/mp/np-param = EQUAL index-val;
// index-val = number *("." number).
Result<HistoryInfoEntry> parse_history_info(std::string_view element);
Result<std::vector<HistoryInfoEntry>> history_info(const Message& message);

struct ReasonValue {
  std::string_view protocol;  // "SIP", "Q.850", or another token, as written
  std::optional<std::uint32_t> cause;
  std::optional<std::string_view> text;  // as written, a quoted-string with its quotes
  std::string_view params;               // every parameter as written, from the first ';'

  bool is_sip() const;
  bool is_q850() const;
  // The text without quotes and quoted-pair escapes; empty if absent.
  std::string text_value() const;
};

// reason-value = protocol *(SEMI reason-params); protocol = "SIP" / "Q.850" / token;
// protocol-cause = "cause" EQUAL cause (1*DIGIT); reason-text = "text" EQUAL quoted-string
// (RFC 3326 §2).
Result<ReasonValue> parse_reason(std::string_view element);
Result<std::vector<ReasonValue>> reasons(const Message& message);

}  // namespace osprey::sip
