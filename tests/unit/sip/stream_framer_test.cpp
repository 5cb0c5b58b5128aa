#include "sip/stream_framer.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"

namespace osprey::sip {
namespace {

std::string request(std::string_view body, std::string_view content_length_line) {
  std::string m =
      "OPTIONS sip:bob@example.com SIP/2.0\r\n"
      "Via: SIP/2.0/TCP pc33.example.com;branch=z9hG4bK776asdhds\r\n"
      "Max-Forwards: 70\r\n"
      "To: <sip:bob@example.com>\r\n"
      "From: <sip:alice@example.com>;tag=1928301774\r\n"
      "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
      "CSeq: 63104 OPTIONS\r\n";
  m.append(content_length_line);
  m.append("\r\n");
  m.append(body);
  return m;
}

std::string request_with_body(std::string_view body) {
  return request(body, "Content-Length: " + std::to_string(body.size()) + "\r\n");
}

// Drains every frame the framer has; stops at need_more or at the first error (recorded).
struct Drained {
  std::vector<Frame> frames;
  std::optional<ParseError> error;
};

Drained drain(StreamFramer& framer) {
  Drained d;
  while (true) {
    auto frame = framer.next();
    if (!frame) {
      d.error = frame.error();
      return d;
    }
    if (frame->kind == FrameKind::need_more) return d;
    d.frames.push_back(std::move(*frame));
  }
}

TEST(StreamFramer, FramesPipelinedMessages) {
  std::string a = request_with_body("");
  std::string b = request_with_body("v=0\r\n");
  std::string c = request_with_body("hello world");
  StreamFramer framer;
  ASSERT_TRUE(framer.append(a + b + c));
  Drained d = drain(framer);
  ASSERT_FALSE(d.error) << d.error->reason;
  ASSERT_EQ(d.frames.size(), 3u);
  EXPECT_EQ(d.frames[0].kind, FrameKind::message);
  EXPECT_EQ(d.frames[0].bytes, a);
  EXPECT_EQ(d.frames[1].bytes, b);
  EXPECT_EQ(d.frames[2].bytes, c);
  EXPECT_EQ(framer.buffered(), 0u);
  // Each frame is one complete message for the stream parser.
  for (const Frame& f : d.frames) {
    auto m = Message::parse_borrowed(f.bytes, ParseOptions{.stream = true});
    ASSERT_TRUE(m) << m.error().reason;
    EXPECT_EQ(m->serialize(), f.bytes);
  }
}

TEST(StreamFramer, MessageSplitAcrossAppendsWaitsForTheBody) {
  std::string a = request_with_body("0123456789");
  StreamFramer framer;
  ASSERT_TRUE(framer.append(a.substr(0, a.size() - 3)));
  auto frame = framer.next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->kind, FrameKind::need_more);
  ASSERT_TRUE(framer.append(a.substr(a.size() - 3)));
  frame = framer.next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->kind, FrameKind::message);
  EXPECT_EQ(frame->bytes, a);
}

TEST(StreamFramer, DoubleCrlfIsPingAndSingleCrlfIsPong) {
  // RFC 5626 §3.5.1: CRLFCRLF is a keep-alive ping, CRLF its pong.
  std::string a = request_with_body("");
  StreamFramer framer;
  ASSERT_TRUE(framer.append("\r\n\r\n" + a + "\r\n" + a));
  Drained d = drain(framer);
  ASSERT_FALSE(d.error) << d.error->reason;
  ASSERT_EQ(d.frames.size(), 4u);
  EXPECT_EQ(d.frames[0].kind, FrameKind::ping);
  EXPECT_TRUE(d.frames[0].bytes.empty());
  EXPECT_EQ(d.frames[1].kind, FrameKind::message);
  EXPECT_EQ(d.frames[2].kind, FrameKind::pong);
  EXPECT_EQ(d.frames[3].kind, FrameKind::message);
}

TEST(StreamFramer, LoneCrlfWaitsUntilItKnowsPingFromPong) {
  StreamFramer framer;
  ASSERT_TRUE(framer.append("\r\n"));
  auto frame = framer.next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->kind, FrameKind::need_more);  // could still become CRLFCRLF
  ASSERT_TRUE(framer.append("\r"));
  frame = framer.next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->kind, FrameKind::need_more);
  ASSERT_TRUE(framer.append("\n"));
  frame = framer.next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->kind, FrameKind::ping);

  StreamFramer pong;
  ASSERT_TRUE(pong.append("\r\nOPTIONS"));
  frame = pong.next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->kind, FrameKind::pong);
  frame = pong.next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->kind, FrameKind::need_more);
  EXPECT_EQ(pong.buffered(), 7u);
}

TEST(StreamFramer, MessageStartedTellsAPartialMessageFromAKeepAlive) {
  // What the connection's message deadline keys on: keep-alives (RFC 5626 §3.5.1), whole or in
  // part, start no message; any other byte does, until the message is out.
  StreamFramer framer;
  EXPECT_FALSE(framer.message_started());
  for (std::string_view part : {"\r", "\n", "\r"}) {
    ASSERT_TRUE(framer.append(part));
    ASSERT_TRUE(framer.next());
    EXPECT_FALSE(framer.message_started()) << framer.buffered();
  }
  ASSERT_TRUE(framer.append("\n"));
  auto frame = framer.next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->kind, FrameKind::ping);
  EXPECT_FALSE(framer.message_started());

  const std::string a = request_with_body("body");
  ASSERT_TRUE(framer.append(a.substr(0, 1)));
  ASSERT_TRUE(framer.next());
  EXPECT_TRUE(framer.message_started());
  ASSERT_TRUE(framer.append(a.substr(1) + "\r\n"));
  frame = framer.next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->kind, FrameKind::message);
  ASSERT_TRUE(framer.next());
  EXPECT_FALSE(framer.message_started());  // a CRLF after it: a keep-alive's start
  ASSERT_TRUE(framer.append("O"));
  frame = framer.next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->kind, FrameKind::pong);
  ASSERT_TRUE(framer.next());
  EXPECT_TRUE(framer.message_started());
}

TEST(StreamFramer, MissingContentLengthIsAnError) {
  // RFC 3261 §18.3: Content-Length is mandatory on a stream.
  StreamFramer framer;
  ASSERT_TRUE(framer.append(request("", "")));
  auto frame = framer.next();
  ASSERT_FALSE(frame);
  EXPECT_EQ(frame.error().category, ErrorCategory::content_length);
  // The error is final: the stream cannot be resynchronised.
  EXPECT_FALSE(framer.next());
  EXPECT_FALSE(framer.append(request_with_body("")));
}

TEST(StreamFramer, MalformedAndRepeatedContentLengthAreErrors) {
  for (std::string_view line :
       {"Content-Length: -1\r\n", "Content-Length: 12abc\r\n", "Content-Length: 0\r\nl: 0\r\n", "l:\r\n"}) {
    StreamFramer framer;
    ASSERT_TRUE(framer.append(request("", line)));
    auto frame = framer.next();
    ASSERT_FALSE(frame) << line;
    EXPECT_EQ(frame.error().category, ErrorCategory::content_length) << line;
  }
}

TEST(StreamFramer, CompactAndFoldedContentLengthFrame) {
  std::string compact = request("abc", "l: 3\r\n");
  std::string folded = request("abcd", "content-length:\r\n 4\r\n");
  StreamFramer framer;
  ASSERT_TRUE(framer.append(compact + folded));
  Drained d = drain(framer);
  ASSERT_FALSE(d.error) << d.error->reason;
  ASSERT_EQ(d.frames.size(), 2u);
  EXPECT_EQ(d.frames[0].bytes, compact);
  EXPECT_EQ(d.frames[1].bytes, folded);
}

TEST(StreamFramer, OversizedMessageIsAnError) {
  std::string body(2000, 'x');
  StreamFramer framer(FramerLimits{.max_message_size = 1024});
  ASSERT_TRUE(framer.append(request_with_body(body).substr(0, 1500)));
  auto frame = framer.next();
  ASSERT_FALSE(frame);
  EXPECT_EQ(frame.error().category, ErrorCategory::too_large);
  EXPECT_EQ(frame.error().server_status, 513);
}

TEST(StreamFramer, HugeAnnouncedContentLengthFailsBeforeTheBodyArrives) {
  // A peer announcing 4 GB must not make us wait for (or buffer) 4 GB.
  StreamFramer framer;
  ASSERT_TRUE(framer.append(request("", "Content-Length: 4294967295\r\n")));
  auto frame = framer.next();
  ASSERT_FALSE(frame);
  EXPECT_EQ(frame.error().category, ErrorCategory::too_large);
  // One more than fits in 32 bits is malformed, not silently truncated.
  StreamFramer overflow;
  ASSERT_TRUE(overflow.append(request("", "Content-Length: 4294967296\r\n")));
  frame = overflow.next();
  ASSERT_FALSE(frame);
  EXPECT_EQ(frame.error().category, ErrorCategory::content_length);
}

TEST(StreamFramer, NeedMoreIsNotAnError) {
  std::string a = request_with_body("body");
  StreamFramer framer;
  // Every proper prefix is need_more, never an error and never a frame.
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_TRUE(framer.append(a.substr(i, 1)));
    auto frame = framer.next();
    ASSERT_TRUE(frame) << "at byte " << i << ": " << frame.error().reason;
    if (i + 1 < a.size()) {
      ASSERT_EQ(frame->kind, FrameKind::need_more) << "at byte " << i;
    } else {
      ASSERT_EQ(frame->kind, FrameKind::message);
      EXPECT_EQ(frame->bytes, a);
    }
  }
}

TEST(StreamFramer, GarbageWithoutHeaderEndDoesNotBufferUnboundedly) {
  StreamFramer framer;  // default limit: 64 KiB
  std::string chunk(4096, 'A');
  for (std::size_t i = 0; i < 64; ++i) chunk[i * 64] = '\r';  // CRs but never CRLFCRLF
  std::size_t fed = 0;
  bool failed = false;
  while (fed < 1024 * 1024) {
    if (!framer.append(chunk)) {
      failed = true;
      break;
    }
    fed += chunk.size();
    EXPECT_LE(framer.buffered(), 2u * 64 * 1024);
    auto frame = framer.next();
    if (!frame) {
      EXPECT_EQ(frame.error().category, ErrorCategory::too_large);
      failed = true;
      break;
    }
    ASSERT_EQ(frame->kind, FrameKind::need_more);
  }
  EXPECT_TRUE(failed);
  EXPECT_LE(fed, 2u * 64 * 1024);
}

TEST(StreamFramer, AppendRefusesMoreThanTwoMessagesWorth) {
  // A peer that never lets us call next() still cannot make us hold more than the limit allows.
  StreamFramer framer(FramerLimits{.max_message_size = 1000});
  ASSERT_TRUE(framer.append(std::string(1500, 'a')));
  auto appended = framer.append(std::string(600, 'a'));
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().server_status, 513);
}

TEST(StreamFramer, FramesMessageWithLengthExactlyAtTheLimit) {
  std::string a = request_with_body("xyz");
  StreamFramer exact(FramerLimits{.max_message_size = a.size()});
  ASSERT_TRUE(exact.append(a));
  auto frame = exact.next();
  ASSERT_TRUE(frame) << frame.error().reason;
  EXPECT_EQ(frame->kind, FrameKind::message);

  StreamFramer one_less(FramerLimits{.max_message_size = a.size() - 1});
  ASSERT_TRUE(one_less.append(a));
  EXPECT_FALSE(one_less.next());
}

TEST(StreamFramer, FindContentLength) {
  auto none = find_content_length("INVITE sip:a@b SIP/2.0\r\nVia: x\r\n\r\n");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  auto some = find_content_length("INVITE sip:a@b SIP/2.0\r\nX-Content-Length: 9\r\nL : 12\r\n\r\n");
  ASSERT_TRUE(some);
  ASSERT_TRUE(*some);
  EXPECT_EQ(**some, 12u);
  // A Content-Length inside a folded value of another header is not a header.
  auto folded = find_content_length("INVITE sip:a@b SIP/2.0\r\nSubject: a\r\n Content-Length: 5\r\n\r\n");
  ASSERT_TRUE(folded);
  EXPECT_FALSE(*folded);
}

}  // namespace
}  // namespace osprey::sip
