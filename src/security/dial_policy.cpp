#include "security/dial_policy.hpp"

#include <utility>

#include "sip/aor.hpp"
#include "sip/char_class.hpp"

namespace osprey::security {
namespace {

// RFC 3966 §5.1.1 visual-separator, plus the space of E.123 printed numbers (see the header).
constexpr bool is_visual_separator(char c) {
  return c == '-' || c == '.' || c == '(' || c == ')' || c == ' ';
}

// '+' (first only) and digits, separators removed; nullopt for any other character or fewer
// than `min_digits` digits.
std::optional<std::string> normalise(std::string_view raw, std::size_t min_digits) {
  std::string number;
  std::size_t digits = 0;
  for (char c : raw) {
    if (is_visual_separator(c)) continue;
    if (c == '+' && number.empty()) {
      number += c;
    } else if (sip::is_digit(c)) {
      number += c;
      ++digits;
    } else {
      return std::nullopt;
    }
  }
  if (digits < min_digits) return std::nullopt;
  return number;
}

// A telephone-subscriber in a user part ends at its first parameter (RFC 3966 §3: ";isub=",
// ";postd=", ";phone-context=" and extensions follow the number).
std::string_view subscriber_number(std::string_view subscriber) {
  return subscriber.substr(0, subscriber.find(';'));
}

bool valid_prefix(std::string_view prefix) {
  if (prefix.empty()) return false;
  if (prefix.front() == '+') prefix.remove_prefix(1);
  for (char c : prefix) {
    if (!sip::is_digit(c)) return false;
  }
  return true;
}

tl::expected<void, std::string> check_prefixes(const std::vector<std::string>& prefixes,
                                               std::string_view what) {
  for (const std::string& prefix : prefixes) {
    if (!valid_prefix(prefix)) {
      return tl::unexpected("dial policy: " + std::string(what) + " prefix '" + prefix +
                            "' must be digits with an optional leading '+'");
    }
  }
  return {};
}

tl::expected<void, std::string> check_member(const DialGroup& group, const std::string& member) {
  const auto where = "dial group '" + group.name + "': member '" + member + "' ";
  auto uri = sip::parse_uri(member);
  if (!uri || !uri->is_sip()) return tl::unexpected(where + "is not a SIP URI");
  std::string canonical = sip::account_aor(*uri);
  if (canonical != member) return tl::unexpected(where + "is not a canonical AOR (" + canonical + ")");
  return {};
}

// The longest of `prefixes` that `number` starts with, or nullptr.
const std::string* longest_match(const std::vector<std::string>& prefixes, std::string_view number) {
  const std::string* best = nullptr;
  for (const std::string& prefix : prefixes) {
    if (number.starts_with(prefix) && (best == nullptr || prefix.size() > best->size())) best = &prefix;
  }
  return best;
}

}  // namespace

std::optional<std::string> dialled_number(const sip::Uri& uri) {
  if (uri.scheme == sip::UriScheme::tel) return normalise(uri.user, 1);
  if (!uri.is_sip() || !uri.has_user) return std::nullopt;
  std::string user = sip::unescape(uri.user);
  const auto user_param = uri.param("user");
  if (user_param && sip::iequals(*user_param, "phone")) return normalise(subscriber_number(user), 1);
  return normalise(user, 3);
}

DialPolicy::DialPolicy(DialPolicyConfig config) : config_(std::move(config)) {
  for (const DialGroup& group : config_.groups) {
    for (const std::string& member : group.members) {
      std::vector<Allowance>& allowances = allowances_[member];
      for (const std::string& prefix : group.allow) allowances.push_back({prefix, group.name});
    }
  }
}

tl::expected<DialPolicy, std::string> DialPolicy::create(DialPolicyConfig config) {
  if (auto ok = check_prefixes(config.international, "international"); !ok) return tl::unexpected(ok.error());
  if (auto ok = check_prefixes(config.deny, "deny"); !ok) return tl::unexpected(ok.error());
  for (const DialGroup& group : config.groups) {
    if (group.name.empty()) return tl::unexpected(std::string("dial policy: a group without a name"));
    if (auto ok = check_prefixes(group.allow, "allow"); !ok)
      return tl::unexpected("dial group '" + group.name + "': " + ok.error());
    for (const std::string& member : group.members) {
      if (auto ok = check_member(group, member); !ok) return tl::unexpected(ok.error());
    }
  }
  return DialPolicy(std::move(config));
}

DialDecision DialPolicy::check(std::string_view aor, std::string_view number) const {
  const std::string* international = longest_match(config_.international, number);
  // "9011972..." -> "+972...": the number as E.164, so '+' prefixes match however it was dialled.
  std::string e164;
  if (international != nullptr) e164 = "+" + std::string(number.substr(international->size()));

  for (const std::string& prefix : config_.deny) {
    const bool matches = number.starts_with(prefix) || (international != nullptr && e164.starts_with(prefix));
    if (matches) return {false, "denied prefix " + prefix};
  }

  // The longest allow match, measured in digits of the number as dialled.
  const Allowance* best = nullptr;
  std::size_t best_cover = 0;
  if (auto found = allowances_.find(aor); found != allowances_.end()) {
    for (const Allowance& allowance : found->second) {
      std::size_t cover = 0;
      if (number.starts_with(allowance.prefix)) {
        cover = allowance.prefix.size();
      } else if (international != nullptr && e164.starts_with(allowance.prefix)) {
        // The allow prefix's '+' stands for the international prefix as dialled.
        cover = international->size() + allowance.prefix.size() - 1;
      } else {
        continue;
      }
      if (best == nullptr || cover > best_cover) {
        best = &allowance;
        best_cover = cover;
      }
    }
  }
  const auto allowed_by = [&] {
    return DialDecision{true, "allowed prefix " + best->prefix + " (group " + best->group + ")"};
  };

  if (international != nullptr) {
    if (best != nullptr && best_cover >= international->size()) return allowed_by();
    return {false, "international prefix " + *international + " not allowed for " + std::string(aor)};
  }
  if (best != nullptr) return allowed_by();
  if (config_.allow_national) return {true, "national number"};
  return {false, "national numbers not allowed for " + std::string(aor)};
}

}  // namespace osprey::security
