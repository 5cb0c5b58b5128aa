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

void TransferIndex::drop_expired(Clock::time_point now) {
  for (auto it = tokens_.begin(); it != tokens_.end();) {
    if (it->second.expires <= now) {
      by_issuer_.erase(it->second.issuer);
      it = tokens_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<std::string> TransferIndex::issue(const std::string& issuer, TransferGrant grant,
                                                Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (auto held = by_issuer_.find(issuer); held != by_issuer_.end()) {
    tokens_.erase(held->second);
    by_issuer_.erase(held);
  }
  if (tokens_.size() >= kMaxTokens) drop_expired(now);
  if (tokens_.size() >= kMaxTokens) return std::nullopt;
  std::string token = random_.next();
  tokens_.insert_or_assign(token, Token{std::move(grant), now + kTokenLifetime, issuer});
  by_issuer_.insert_or_assign(issuer, token);
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
    by_issuer_.erase(it->second.issuer);
    tokens_.erase(it);
    return tl::unexpected(RedeemRefusal::unknown);
  }
  if (it->second.grant.trunk != trunk) return tl::unexpected(RedeemRefusal::foreign_trunk);
  TransferGrant grant = std::move(it->second.grant);
  by_issuer_.erase(it->second.issuer);
  tokens_.erase(it);
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
