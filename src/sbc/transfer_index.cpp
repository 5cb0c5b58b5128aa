#include "sbc/transfer_index.hpp"

namespace osprey::sbc {

std::string TransferIndex::key(const DialogIds& dialog) {
  // RFC 3261 §25.1: a Call-ID is a "word" and a tag a "token": neither holds a space.
  std::string out;
  out.reserve(dialog.call_id.size() + dialog.local_tag.size() + dialog.remote_tag.size() + 2);
  out += dialog.call_id;
  out += ' ';
  out += dialog.local_tag;
  out += ' ';
  out += dialog.remote_tag;
  return out;
}

void TransferIndex::add_call(const DialogIds& a, const LegPeer& a_peer, const std::string& a_target,
                             const DialogIds& b, const LegPeer& b_peer, const std::string& b_target) {
  IndexedLeg first{a_peer, b, b_peer, b_target};
  IndexedLeg second{b_peer, a, a_peer, a_target};
  std::string first_key = key(a);
  std::string second_key = key(b);
  std::lock_guard lock(mutex_);
  legs_.insert_or_assign(std::move(first_key), std::move(first));
  legs_.insert_or_assign(std::move(second_key), std::move(second));
}

void TransferIndex::remove_call(const DialogIds& a, const DialogIds& b) {
  const std::string first_key = key(a);
  const std::string second_key = key(b);
  std::lock_guard lock(mutex_);
  legs_.erase(first_key);
  legs_.erase(second_key);
}

std::optional<IndexedLeg> TransferIndex::find(const DialogIds& dialog) const {
  const std::string wanted = key(dialog);
  std::lock_guard lock(mutex_);
  const auto it = legs_.find(wanted);
  if (it == legs_.end()) return std::nullopt;
  return it->second;
}

TransferIndex::Tokens::iterator TransferIndex::forget(Tokens::iterator token) {
  by_issuer_.erase(token->second.issuer);
  if (auto count = by_referrer_.find(token->second.referrer);
      count != by_referrer_.end() && --count->second == 0)
    by_referrer_.erase(count);
  return tokens_.erase(token);
}

void TransferIndex::drop_expired(Clock::time_point now) {
  for (auto it = tokens_.begin(); it != tokens_.end();) {
    if (it->second.expires <= now) {
      it = forget(it);
    } else {
      ++it;
    }
  }
}

std::optional<std::string> TransferIndex::issue(const std::string& issuer, const std::string& referrer,
                                                TransferGrant grant, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (auto held = by_issuer_.find(issuer); held != by_issuer_.end()) {
    if (auto token = tokens_.find(held->second); token != tokens_.end()) forget(token);
  }
  const auto held_by_referrer = [&] {
    const auto count = by_referrer_.find(referrer);
    return count == by_referrer_.end() ? std::size_t{0} : count->second;
  };
  if (tokens_.size() >= kMaxTokens || held_by_referrer() >= kMaxTokensPerReferrer) drop_expired(now);
  if (tokens_.size() >= kMaxTokens || held_by_referrer() >= kMaxTokensPerReferrer) return std::nullopt;
  std::string token = random_.next();
  tokens_.insert_or_assign(token, Token{std::move(grant), now + kTokenLifetime, issuer, referrer});
  by_issuer_.insert_or_assign(issuer, token);
  ++by_referrer_[referrer];
  return std::string(kTransferUserPrefix) + token;
}

tl::expected<TransferGrant, RedeemRefusal> TransferIndex::redeem(std::string_view user,
                                                                 std::string_view trunk,
                                                                 Clock::time_point now) {
  if (!user.starts_with(kTransferUserPrefix)) return tl::unexpected(RedeemRefusal::unknown);
  const std::string token(user.substr(kTransferUserPrefix.size()));
  std::lock_guard lock(mutex_);
  const auto it = tokens_.find(token);
  if (it == tokens_.end()) return tl::unexpected(RedeemRefusal::unknown);
  if (it->second.expires <= now) {
    forget(it);
    return tl::unexpected(RedeemRefusal::unknown);
  }
  if (it->second.grant.trunk != trunk) return tl::unexpected(RedeemRefusal::foreign_trunk);
  TransferGrant grant = std::move(it->second.grant);
  forget(it);
  return grant;
}

std::size_t TransferIndex::dialog_count() const {
  std::lock_guard lock(mutex_);
  return legs_.size();
}

std::size_t TransferIndex::token_count() const {
  std::lock_guard lock(mutex_);
  return tokens_.size();
}

}  // namespace osprey::sbc
