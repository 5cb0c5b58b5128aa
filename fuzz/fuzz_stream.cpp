// Fuzzes StreamFramer (RFC 3261 §18.3 framing on TCP/TLS) and the stream parse of each frame.
// The input is the byte stream; it is fed in chunks whose sizes come from a sequence seeded by
// the input, and also all at once and in chunks of the size limit. Properties checked:
//  - every way of chunking gives the same frames and the same final state (need_more, or the
//    same error);
//  - the frames, concatenated (ping = CRLFCRLF, pong = CRLF), are a prefix of the input;
//  - buffering stays bounded by twice the size limit;
//  - every message frame parses with ParseOptions{.stream = true}, or is rejected without crashing;
//    when it parses, it is exactly the frame and serializes to it.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "sip/message.hpp"
#include "sip/stream_framer.hpp"
#include "sip/validation.hpp"

namespace {

using osprey::fuzz::Choices;
using osprey::sip::FrameKind;
using osprey::sip::FramerLimits;
using osprey::sip::StreamFramer;

struct Outcome {
  std::vector<std::pair<FrameKind, std::string>> frames;
  bool failed = false;
  osprey::sip::ErrorCategory category = osprey::sip::ErrorCategory::need_more;
  std::string reason;
  int status = 0;

  bool operator==(const Outcome&) const = default;
};

// Feeds `input` in pieces of next_size() bytes, draining all frames after each piece.
template <typename NextSize>
Outcome run(std::string_view input, std::size_t limit, NextSize&& next_size) {
  StreamFramer framer(FramerLimits{.max_message_size = limit});
  Outcome outcome;
  auto fail = [&](const osprey::sip::ParseError& e) {
    outcome.failed = true;
    outcome.category = e.category;
    outcome.reason = e.reason;
    outcome.status = e.server_status;
  };
  std::size_t pos = 0;
  while (pos < input.size() && !outcome.failed) {
    std::size_t n = next_size();
    if (n > input.size() - pos) n = input.size() - pos;
    auto appended = framer.append(input.substr(pos, n));
    if (!appended) {
      fail(appended.error());
      break;
    }
    pos += n;
    while (true) {
      auto frame = framer.next();
      if (!frame) {
        fail(frame.error());
        break;
      }
      if (frame->kind == FrameKind::need_more) break;
      OSPREY_FUZZ_CHECK(frame->kind == FrameKind::message || frame->bytes.empty());
      outcome.frames.emplace_back(frame->kind, std::move(frame->bytes));
    }
    // One message plus the slack for the next one's first bytes is all a framer may hold.
    OSPREY_FUZZ_CHECK(framer.buffered() <= 2 * limit);
  }
  return outcome;
}

void check_frames(std::string_view input, const Outcome& outcome, std::size_t limit) {
  std::string wire;
  for (const auto& [kind, bytes] : outcome.frames) {
    switch (kind) {
      case FrameKind::ping: wire.append("\r\n\r\n"); break;
      case FrameKind::pong: wire.append("\r\n"); break;
      case FrameKind::message: {
        OSPREY_FUZZ_CHECK(!bytes.empty() && bytes.size() <= limit);
        wire.append(bytes);
        osprey::sip::ParseOptions options;
        options.stream = true;
        options.max_message_size = limit;
        auto m = osprey::sip::Message::parse_borrowed(bytes, options);
        if (m) {
          OSPREY_FUZZ_CHECK(m->wire_size() == bytes.size());
          OSPREY_FUZZ_CHECK(m->serialize() == bytes);
          (void)osprey::sip::validate_headers(*m);
          if (m->is_request()) (void)osprey::sip::check_request(*m);
        }
        break;
      }
      case FrameKind::need_more: OSPREY_FUZZ_CHECK(false); break;
    }
  }
  OSPREY_FUZZ_CHECK(wire.size() <= input.size() && input.substr(0, wire.size()) == wire);
}

void report(const char* label, const Outcome& o) {
  std::fprintf(stderr, "%s: %zu frames", label, o.frames.size());
  for (const auto& [kind, bytes] : o.frames)
    std::fprintf(stderr, " %d:%zu", static_cast<int>(kind), bytes.size());
  if (o.failed) {
    std::fprintf(stderr, ", error %d '%s' status %d\n", static_cast<int>(o.category), o.reason.c_str(),
                 o.status);
  } else {
    std::fprintf(stderr, ", need_more\n");
  }
}

void expect_same(const Outcome& a, const Outcome& b, std::size_t limit) {
  if (a == b) return;
  std::fprintf(stderr, "limit %zu\n", limit);
  report("chunked", a);
  report("other", b);
  OSPREY_FUZZ_CHECK(a == b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = osprey::fuzz::as_view(data, size);
  Choices choices({}, osprey::fuzz::hash_bytes(input));
  // Mostly the default limit; small ones reach the size errors with small inputs.
  constexpr std::array<std::size_t, 4> kLimits{64 * 1024, 64 * 1024, 1024, 200};
  std::size_t limit = kLimits[choices.below(kLimits.size())];

  Outcome chunked = run(input, limit, [&] {
    // Small pieces mostly, sometimes a large one (never above the limit: see run()).
    std::size_t n = choices.below(8) == 0 ? 1 + choices.below(limit) : 1 + choices.below(16);
    return n;
  });
  check_frames(input, chunked, limit);

  Outcome by_limit = run(input, limit, [&] { return limit; });
  expect_same(chunked, by_limit, limit);
  if (input.size() <= 2 * limit) {
    Outcome whole = run(input, limit, [&] { return input.size(); });
    expect_same(chunked, whole, limit);
  }
  return 0;
}
