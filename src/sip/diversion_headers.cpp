#include "sip/diversion_headers.hpp"

#include "sip/message.hpp"
#include "sip/params.hpp"
#include "sip/scanner.hpp"
#include "sip/typed_header_support.hpp"

namespace osprey::sip {
namespace {

constexpr std::string_view kDiversion = "Diversion";
constexpr std::string_view kHistoryInfo = "History-Info";
constexpr std::string_view kReason = "Reason";

// number = [ %x31-39 *DIGIT ] DIGIT; index-val = number *("." number) (RFC 7044): no empty
// component and no leading zero.
bool is_index_value(std::string_view s) {
  if (s.empty()) return false;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t dot = s.find('.', start);
    std::size_t end = dot == std::string_view::npos ? s.size() : dot;
    std::string_view number = s.substr(start, end - start);
    if (number.empty() || (number.size() > 1 && number.front() == '0')) return false;
    for (char c : number)
      if (!is_digit(c)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
  return false;
}

// A typed parameter, found at most once; its value checked by `valid` when present.
template <typename Valid>
Result<std::optional<Param>> typed_param(const NameAddr& address, std::string_view name,
                                         std::string_view header, std::string_view element, Valid&& valid) {
  auto p = unique_param(address.params, name, header, element);
  if (!p) return p;
  if (*p && !valid(**p)) {
    return malformed(header, "malformed " + std::string(name) + " parameter", offset_in(element, (*p)->name));
  }
  return p;
}

// token / quoted-string, the value of diversion-reason, -privacy and -screen (RFC 5806 §4).
bool has_gen_value(const Param& p) { return p.has_value && !p.value.empty(); }

// 1*2DIGIT
std::optional<std::uint8_t> two_digits(std::string_view s) {
  if (s.size() > 2) return std::nullopt;
  auto n = parse_decimal(s, 99);
  if (!n) return std::nullopt;
  return static_cast<std::uint8_t>(*n);
}

std::optional<std::string_view> unquoted_value(const std::optional<Param>& p) {
  if (!p) return std::nullopt;
  return strip_quotes(p->value);
}

// A name-addr with header parameters; name-addr only (the URI in <>) for these headers.
Result<NameAddr> bracketed_address(std::string_view element, std::string_view header) {
  auto parsed = parse_name_addr(element, header);
  if (!parsed) return relabel(std::move(parsed.error()), header);
  if (!parsed->bracketed) return malformed(header, "the URI must be enclosed in <>", 0);
  return parsed;
}

}  // namespace

Result<Diversion> parse_diversion(std::string_view element) {
  auto address = bracketed_address(element, kDiversion);
  if (!address) return tl::unexpected<ParseError>(std::move(address.error()));
  Diversion result;
  result.address = *address;
  auto reason = typed_param(*address, "reason", kDiversion, element, has_gen_value);
  if (!reason) return tl::unexpected<ParseError>(std::move(reason.error()));
  auto counter = typed_param(*address, "counter", kDiversion, element,
                             [](const Param& p) { return two_digits(p.value).has_value(); });
  if (!counter) return tl::unexpected<ParseError>(std::move(counter.error()));
  auto limit = typed_param(*address, "limit", kDiversion, element,
                           [](const Param& p) { return two_digits(p.value).has_value(); });
  if (!limit) return tl::unexpected<ParseError>(std::move(limit.error()));
  auto privacy_param = typed_param(*address, "privacy", kDiversion, element, has_gen_value);
  if (!privacy_param) return tl::unexpected<ParseError>(std::move(privacy_param.error()));
  auto screen = typed_param(*address, "screen", kDiversion, element, has_gen_value);
  if (!screen) return tl::unexpected<ParseError>(std::move(screen.error()));
  result.reason = unquoted_value(*reason);
  if (*counter) result.counter = two_digits((*counter)->value);
  if (*limit) result.limit = two_digits((*limit)->value);
  result.privacy = unquoted_value(*privacy_param);
  result.screen = unquoted_value(*screen);
  return result;
}

Result<std::vector<Diversion>> diversions(const Message& message) {
  return gather_elements<Diversion>(message, HeaderId::diversion, parse_diversion);
}

std::size_t HistoryInfoEntry::depth() const {
  if (index.empty()) return 0;
  std::size_t n = 1;
  for (char c : index)
    if (c == '.') ++n;
  return n;
}

Result<HistoryInfoEntry> parse_history_info(std::string_view element) {
  auto address = bracketed_address(element, kHistoryInfo);
  if (!address) return tl::unexpected<ParseError>(std::move(address.error()));
  HistoryInfoEntry result;
  result.address = *address;
  auto index_valid = [](const Param& p) { return is_index_value(p.value); };
  auto index = typed_param(*address, "index", kHistoryInfo, element, index_valid);
  if (!index) return tl::unexpected<ParseError>(std::move(index.error()));
  if (!*index) return malformed(kHistoryInfo, "missing index parameter", element.size());
  result.index = (*index)->value;
  std::optional<std::string_view>* targets[] = {&result.rc, &result.mp, &result.np};
  std::string_view names[] = {"rc", "mp", "np"};
  for (std::size_t i = 0; i < 3; ++i) {
    auto p = typed_param(*address, names[i], kHistoryInfo, element, index_valid);
    if (!p) return tl::unexpected<ParseError>(std::move(p.error()));
    if (*p) *targets[i] = (*p)->value;
  }
  return result;
}

Result<std::vector<HistoryInfoEntry>> history_info(const Message& message) {
  return gather_elements<HistoryInfoEntry>(message, HeaderId::history_info, parse_history_info);
}

bool ReasonValue::is_sip() const { return iequals(protocol, "SIP"); }
bool ReasonValue::is_q850() const { return iequals(protocol, "Q.850"); }

std::string ReasonValue::text_value() const { return text ? unquote(*text) : std::string(); }

Result<ReasonValue> parse_reason(std::string_view element) {
  ReasonValue result;
  Scanner s(element);
  s.skip_lws();
  std::size_t at = s.pos();
  result.protocol = s.take_token();
  if (result.protocol.empty()) return malformed(kReason, "missing protocol", at);
  auto params = scan_header_params(s, kReason, 0);
  if (!params) return relabel(std::move(params.error()), kReason);
  s.skip_lws();
  if (!s.at_end()) return malformed(kReason, "unexpected characters", s.pos());
  result.params = *params;

  auto cause = unique_param(result.params, "cause", kReason, element);
  if (!cause) return tl::unexpected<ParseError>(std::move(cause.error()));
  if (*cause) {
    auto n = parse_decimal((*cause)->value, 0xFFFFFFFFu);
    if (!n) return malformed(kReason, "cause must be digits", offset_in(element, (*cause)->name));
    result.cause = static_cast<std::uint32_t>(*n);
  }
  auto text = unique_param(result.params, "text", kReason, element);
  if (!text) return tl::unexpected<ParseError>(std::move(text.error()));
  if (*text) {
    std::string_view raw = (*text)->value;
    if (raw.size() < 2 || raw.front() != '"' || raw.back() != '"') {
      return malformed(kReason, "text must be a quoted-string", offset_in(element, (*text)->name));
    }
    result.text = raw;
  }
  return result;
}

Result<std::vector<ReasonValue>> reasons(const Message& message) {
  return gather_elements<ReasonValue>(message, HeaderId::reason, parse_reason);
}

}  // namespace osprey::sip
