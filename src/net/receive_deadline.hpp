#pragma once
// When a stream connection must have delivered its next complete SIP message (RFC 3261
// §18.3). The idle timeout alone lets a peer hold a connection for as long as it trickles one
// byte before each timeout: 160 addresses x 63 connections sending a byte a second held all
// 10,000 slots that way. So a message, once started, has a fixed time to complete, however
// its bytes are spread, and a connection we accepted must deliver its first message within a
// fixed time of the accept (TLS handshake included).
//
// Between messages there is no deadline: a connection that has delivered a message and then
// rests, or sends only RFC 5626 §3.5.1 keep-alives, is governed by the idle timeout.
//
// Pure bookkeeping, fed once per read with what the framer made of it: no per-byte timer.

#include <chrono>
#include <string_view>

namespace osprey::net {

class ReceiveDeadline {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr Clock::time_point kNone = Clock::time_point::max();

  ReceiveDeadline(Clock::duration first_message, Clock::duration each_message)
      : first_message_(first_message), each_message_(each_message) {}

  // A connection we accepted at `accepted`: its first message is due first_message later.
  // (A connection we opened owes us nothing until it starts a message.)
  void expect_first_message(Clock::time_point accepted) {
    if (delivered_any_) return;
    first_owed_ = true;
    due_ = accepted + first_message_;
  }

  // After the bytes of one read went through the framer: `delivered` when at least one whole
  // message came out, `message_started` when the framer holds the beginning of another.
  // Returns true when the deadline moved earlier (the caller's timer must be re-armed), which
  // happens at most once per message, never per byte.
  bool after_read(Clock::time_point now, bool delivered, bool message_started) {
    if (delivered) {
      delivered_any_ = true;
      due_ = kNone;
    }
    if (!message_started) {
      // Only keep-alives (or nothing) are left: no deadline between messages, but a first
      // message still owed stays owed (keep-alives do not pay for it).
      if (delivered_any_) due_ = kNone;
      return false;
    }
    if (due_ != kNone) return false;  // a message under way keeps the deadline it started with
    due_ = now + each_message_;
    return true;
  }

  Clock::time_point due() const { return due_; }
  bool delivered_any() const { return delivered_any_; }
  // Why a connection closed at due(), for the log.
  std::string_view reason() const {
    return first_owed_ && !delivered_any_ ? "no complete message in time after connecting"
                                          : "message not complete in time";
  }

 private:
  Clock::duration first_message_;
  Clock::duration each_message_;
  Clock::time_point due_ = kNone;
  bool delivered_any_ = false;
  bool first_owed_ = false;
};

}  // namespace osprey::net
