#pragma once
// What every worker's B2BUA needs to know of the others' calls for attended transfer
// (RFC 3515 REFER, RFC 3891 Replaces, RFC 5589 §7): the confirmed dialogs osprey holds on each
// side of its calls, and the transfer tokens that stand for a Replaces osprey must not show a
// trunk. Owned by the server, shared by the workers (SO_REUSEPORT spreads a call's peers over
// them: a REFER on one worker may name a call another worker holds), one short lock per call
// set-up, release and REFER; nothing on the path of other requests.
//
// Tokens: a phone of ours transferring a trunk's call to a dialog the proxy carries (its own
// consultation call to another of our users, whose Call-ID and tags are the phones' own) needs
// the trunk to INVITE the target with that Replaces; the trunk must never see it (topology
// hiding), so it is told to call "sip:b2x.<token>@osprey" and the token, redeemed once, by that
// trunk, within 64*T1, gives back the user to call and the Replaces to put on that INVITE.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <tl/expected.hpp>

#include "sbc/leg_contact.hpp"
#include "sbc/referral_mapping.hpp"

namespace osprey::sbc {

inline constexpr std::string_view kTransferUserPrefix = "b2x.";

// Who may name a leg's dialog in a Replaces (RFC 3891 §8): the peer of that leg. A trunk by
// name (it may send from any of its addresses); one of our users by its AOR and address.
struct LegPeer {
  std::string trunk;    // the trunk's name; empty: one of our users
  std::string user;     // that user's AOR ("sip:alice@example.com")
  std::string address;  // and the address it sends from (text of the IP)
  friend bool operator==(const LegPeer&, const LegPeer&) = default;
};

// One confirmed leg of a call, looked up by osprey's dialog on it.
struct IndexedLeg {
  LegPeer peer;              // the peer of this leg: the only one who may name it
  DialogIds other;           // osprey's dialog on the other leg of the same call
  LegPeer other_peer;        // the peer of the other leg
  std::string other_target;  // the other leg's remote target (its peer's Contact URI)
};

// What a transfer token stands for.
struct TransferGrant {
  std::string trunk;     // the one trunk whose INVITE may redeem it
  std::string user;      // the AOR of our user the INVITE goes to
  std::string replaces;  // the Replaces value (RFC 3891 §6.1) for that user's INVITE, in its terms
};

enum class RedeemRefusal { unknown, foreign_trunk };

class TransferIndex {
 public:
  using Clock = std::chrono::steady_clock;
  // RFC 3261 §17.1.1.1: 64*T1, the life of a transaction; the transferee's INVITE follows the
  // REFER's 202 at once (RFC 3515 §2.4.4).
  static constexpr std::chrono::seconds kTokenLifetime{32};
  // Live tokens at most, over all calls; each referrer dialog holds one at a time, so a REFER
  // flood on one call replaces its own token and grows nothing.
  static constexpr std::size_t kMaxTokens = 4096;
  // And at most this many for one referrer (one of our users, whatever its address): a user with
  // thousands of calls (ringing ones are free) REFERring on each must not take every token and
  // leave the others no transfer.
  static constexpr std::size_t kMaxTokensPerReferrer = 32;

  // Both legs of a call that was just confirmed; `a` and `b` are osprey's dialogs on them.
  void add_call(const DialogIds& a, const LegPeer& a_peer, const std::string& a_target, const DialogIds& b,
                const LegPeer& b_peer, const std::string& b_target);
  void remove_call(const DialogIds& a, const DialogIds& b);
  std::optional<IndexedLeg> find(const DialogIds& dialog) const;

  // A fresh token for `grant` ("b2x.<32 hex digits>" is the user part to send), replacing any
  // token `issuer` (the referrer's dialog) holds; nullopt when kMaxTokens are live, or when
  // `referrer` (who sent the REFER: its AOR) holds kMaxTokensPerReferrer.
  std::optional<std::string> issue(const std::string& issuer, const std::string& referrer,
                                   TransferGrant grant, Clock::time_point now);
  // The grant of the token a Request-URI user names, for an INVITE from `trunk`: used up.
  // Unknown, expired or used: unknown; issued for another trunk: foreign_trunk (left as it is).
  tl::expected<TransferGrant, RedeemRefusal> redeem(std::string_view user, std::string_view trunk,
                                                    Clock::time_point now);

  std::size_t dialog_count() const;
  std::size_t token_count() const;

 private:
  struct Token {
    TransferGrant grant;
    Clock::time_point expires;
    std::string issuer;
    std::string referrer;
  };
  using Tokens = std::unordered_map<std::string, Token>;
  static std::string key(const DialogIds& dialog);
  void drop_expired(Clock::time_point now);
  // Erases a token and what counts it (its issuer's entry, its referrer's count).
  Tokens::iterator forget(Tokens::iterator token);

  mutable std::mutex mutex_;
  std::unordered_map<std::string, IndexedLeg> legs_;
  Tokens tokens_;                                             // by token (the hex digits)
  std::unordered_map<std::string, std::string> by_issuer_;    // issuer -> its token
  std::unordered_map<std::string, std::size_t> by_referrer_;  // referrer -> its live tokens
  LegIdSource random_;                                        // 128 bits from OpenSSL's CSPRNG
};

}  // namespace osprey::sbc
