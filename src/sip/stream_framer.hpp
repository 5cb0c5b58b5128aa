#pragma once
// Frames SIP messages on a stream transport (TCP, TLS; RFC 3261 §18.3): bytes arrive in
// arbitrary pieces, and whole messages, keep-alives or errors come out. A message's end is
// given by its Content-Length, which is mandatory on streams. Buffering is bounded: a peer
// that sends an endless header section or announces a huge body gets an error, not memory.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sip/error.hpp"

namespace osprey::sip {

struct FramerLimits {
  std::size_t max_message_size = 64 * 1024;  // header section + body
};

enum class FrameKind {
  need_more,  // the bytes so far are a valid prefix: wait for more
  message,    // `bytes` holds exactly one message
  ping,       // RFC 5626 §3.5.1: CRLFCRLF keep-alive, to be answered with CRLF
  pong,       // a lone CRLF (the answer to our ping)
};

struct Frame {
  FrameKind kind = FrameKind::need_more;
  std::string bytes;
};

class StreamFramer {
 public:
  explicit StreamFramer(FramerLimits limits = {}) : limits_(limits) {}

  // Adds received bytes. Fails (and the connection should close) when the data buffered would
  // exceed what one message may take.
  Result<void> append(std::string_view data);

  // The next frame, or need_more. An error is final: the stream cannot be resynchronised
  // (RFC 4475 §3.1.2.3: a bad Content-Length on a stream is unrecoverable).
  Result<Frame> next();

  std::size_t buffered() const { return buffer_.size() - read_; }
  // True when the bytes buffered hold the beginning of a message, not just (the start of) a
  // keep-alive CRLF sequence (RFC 5626 §3.5.1): a message has begun but is not complete.
  bool message_started() const;

 private:
  void consume(std::size_t n);

  FramerLimits limits_;
  std::string buffer_;
  std::size_t read_ = 0;     // bytes of buffer_ already handed out
  std::size_t scanned_ = 0;  // bytes after read_ known to hold no CRLFCRLF
  bool failed_ = false;
};

// Finds the Content-Length of a complete header section (`headers` ends with CRLFCRLF):
// nullopt value when absent, an error when malformed or repeated.
Result<std::optional<std::size_t>> find_content_length(std::string_view headers);

}  // namespace osprey::sip
