#include "sbc/sdp_address_rewrite.hpp"

#include <vector>

#include "sip/char_class.hpp"

namespace osprey::sbc {
namespace {

bool plausible_address(std::string_view address) {
  if (address.empty() || address.size() > 255) return false;
  for (char c : address) {
    if (!sip::is_alpha(c) && !sip::is_digit(c) && c != '.' && c != ':' && c != '-') return false;
  }
  return true;
}

// Splits on single spaces (RFC 8866 §5: fields are separated by exactly one space).
std::vector<std::string_view> fields_of(std::string_view text, std::size_t limit) {
  std::vector<std::string_view> fields;
  while (fields.size() + 1 < limit) {
    std::size_t space = text.find(' ');
    if (space == std::string_view::npos) break;
    fields.push_back(text.substr(0, space));
    text.remove_prefix(space + 1);
  }
  fields.push_back(text);
  return fields;
}

const SdpAddressRule* matching_rule(std::string_view address, std::span<const SdpAddressRule> rules) {
  for (const SdpAddressRule& rule : rules) {
    if (!plausible_address(rule.to)) continue;
    if (rule.from == "*" || sip::iequals(rule.from, address)) return &rule;
  }
  return nullptr;
}

// The line's value (after "o=" / "c=") with its address rewritten, or empty if unchanged.
std::string rewritten_value(std::string_view value, std::size_t field_count,
                            std::span<const SdpAddressRule> rules) {
  std::vector<std::string_view> fields = fields_of(value, field_count);
  if (fields.size() != field_count) return {};
  std::string_view nettype = fields[field_count - 3];
  std::string_view addrtype = fields[field_count - 2];
  std::string_view address = fields[field_count - 1];
  if (nettype != "IN" || (addrtype != "IP4" && addrtype != "IP6")) return {};
  // §5.7: a multicast connection-address carries "/ttl[/count]" after the address.
  std::string_view suffix;
  if (std::size_t slash = address.find('/'); slash != std::string_view::npos) {
    suffix = address.substr(slash);
    address = address.substr(0, slash);
  }
  if (!plausible_address(address)) return {};
  const SdpAddressRule* rule = matching_rule(address, rules);
  if (rule == nullptr || rule->to == address) return {};
  std::string out;
  for (std::size_t i = 0; i + 2 < field_count; ++i) {
    out += fields[i];
    out += ' ';
  }
  out += rule->to.find(':') != std::string::npos ? "IP6 " : "IP4 ";
  out += rule->to;
  out += suffix;
  return out;
}

}  // namespace

SdpRewriteResult rewrite_sdp_addresses(std::string_view body, std::span<const SdpAddressRule> rules) {
  SdpRewriteResult result;
  if (rules.empty() || body.size() > kMaxSdpBodyLength) {
    result.body = std::string(body);
    return result;
  }
  result.body.reserve(body.size() + 64);
  while (!body.empty()) {
    std::size_t newline = body.find('\n');
    std::size_t line_length = newline == std::string_view::npos ? body.size() : newline + 1;
    std::string_view line = body.substr(0, line_length);
    body.remove_prefix(line_length);
    std::string_view ending;
    std::string_view content = line;
    if (content.ends_with('\n')) content.remove_suffix(1);
    if (content.ends_with('\r')) content.remove_suffix(1);
    ending = line.substr(content.size());
    std::string replacement;
    if (content.starts_with("o=")) replacement = rewritten_value(content.substr(2), 6, rules);
    if (content.starts_with("c=")) replacement = rewritten_value(content.substr(2), 3, rules);
    if (replacement.empty()) {
      result.body += line;
      continue;
    }
    result.body += content.substr(0, 2);
    result.body += replacement;
    result.body += ending;
    ++result.rewritten;
  }
  return result;
}

}  // namespace osprey::sbc
