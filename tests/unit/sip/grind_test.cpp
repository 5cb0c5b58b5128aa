// Every conformance message (RFC 4475, RFC 5118) fed to the stream framer split at every byte
// offset, and one byte at a time, gives the same result as fed whole: the same frames, the same
// parse result for each message frame, the same final state. Some files are errors or need_more
// on a stream (inv2543 has no Content-Length, clerr a wrong one, baddn no empty line after the
// headers); that is fine as long as every splitting agrees.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"
#include "sip/stream_framer.hpp"

#ifndef OSPREY_SOURCE_DIR
#error "OSPREY_SOURCE_DIR must name the source tree (tests/CMakeLists.txt defines it)"
#endif

namespace osprey::sip {
namespace {

std::vector<std::filesystem::path> conformance_files() {
  std::vector<std::filesystem::path> files;
  std::filesystem::path root = std::filesystem::path(OSPREY_SOURCE_DIR) / "tests" / "conformance";
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".sip") files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string describe(const ParseError& e) {
  return std::string(to_string(e.category)) + " '" + e.reason + "' header='" + e.header +
         "' offset=" + std::to_string(e.offset) + " status=" + std::to_string(e.server_status);
}

// What a stream gave: one line per frame (with the stream parse result of each message) and the
// final state. Two feedings agree exactly when their transcripts are equal.
std::string parse_result(const std::string& bytes) {
  auto m = Message::parse_borrowed(bytes, ParseOptions{.stream = true});
  if (!m) return "parse error: " + describe(m.error());
  std::string s = "parse ok: ";
  s += m->is_request() ? std::string(m->method_text()) : std::to_string(m->status());
  s += " headers=" + std::to_string(m->fields().size()) + " body=" + std::to_string(m->body().size());
  return s;
}

std::string feed(std::string_view data, const std::vector<std::size_t>& piece_sizes) {
  StreamFramer framer;
  std::string transcript;
  std::size_t pos = 0;
  for (std::size_t size : piece_sizes) {
    auto appended = framer.append(data.substr(pos, size));
    pos += size;
    if (!appended) return transcript + "append error: " + describe(appended.error()) + "\n";
    while (true) {
      auto frame = framer.next();
      if (!frame) return transcript + "error: " + describe(frame.error()) + "\n";
      if (frame->kind == FrameKind::need_more) break;
      switch (frame->kind) {
        case FrameKind::ping: transcript += "ping\n"; break;
        case FrameKind::pong: transcript += "pong\n"; break;
        case FrameKind::message:
          transcript += "message " + std::to_string(frame->bytes.size()) + " bytes, " +
                        parse_result(frame->bytes) + "\n";
          break;
        case FrameKind::need_more: break;
      }
    }
  }
  return transcript + "need_more, buffered " + std::to_string(framer.buffered()) + "\n";
}

TEST(Grind, FindsTheConformanceMessages) {
  // Guards the tests below against passing vacuously on a wrong path.
  EXPECT_GE(conformance_files().size(), 60u) << OSPREY_SOURCE_DIR;
}

TEST(Grind, TranscriptsTellStreamsApart) {
  // The comparisons below are only as good as the transcript: different streams must differ.
  std::string a =
      "OPTIONS sip:a@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h.example.com;branch=z9hG4bK1\r\n"
      "To: <sip:a@example.com>\r\nFrom: <sip:b@example.com>;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n"
      "Content-Length: 2\r\n\r\nab";
  std::string whole = feed(a, {a.size()});
  EXPECT_NE(whole.find("message "), std::string::npos) << whole;
  EXPECT_NE(whole.find("parse ok"), std::string::npos) << whole;
  EXPECT_NE(feed(a + "\r\n\r\n", {a.size() + 4}), whole);             // a ping more
  EXPECT_NE(feed(a.substr(0, a.size() - 1), {a.size() - 1}), whole);  // body incomplete
  std::string bad = a;
  bad.replace(bad.find("CSeq: 1"), 7, "CSeq: x");
  EXPECT_NE(feed(bad, {bad.size()}), whole);  // same framing, parse error
}

TEST(Grind, EverySplitOfEveryConformanceMessageAgreesWithTheWhole) {
  for (const auto& path : conformance_files()) {
    std::string data = read_file(path);
    ASSERT_FALSE(data.empty()) << path;
    std::string whole = feed(data, {data.size()});
    for (std::size_t cut = 1; cut < data.size(); ++cut) {
      std::string split = feed(data, {cut, data.size() - cut});
      ASSERT_EQ(split, whole) << path << " split at byte " << cut;
    }
  }
}

TEST(Grind, EveryConformanceMessageFedOneByteAtATimeAgreesWithTheWhole) {
  for (const auto& path : conformance_files()) {
    std::string data = read_file(path);
    std::string whole = feed(data, {data.size()});
    std::vector<std::size_t> bytes(data.size(), 1);
    EXPECT_EQ(feed(data, bytes), whole) << path;
  }
}

TEST(Grind, PipelinedConformanceMessagesAgreeWhateverTheSplit) {
  // All the messages that frame cleanly, back to back with keep-alives between them: one stream.
  std::string stream;
  for (const auto& path : conformance_files()) {
    std::string data = read_file(path);
    std::string whole = feed(data, {data.size()});
    if (whole.rfind("message ", 0) == 0 && whole.find("error") == std::string::npos &&
        whole.find("buffered 0\n") != std::string::npos) {
      stream += data;
      stream += "\r\n\r\n";
    }
  }
  ASSERT_GT(stream.size(), 5000u);
  std::string whole = feed(stream, {stream.size()});
  EXPECT_EQ(whole.find("error"), std::string::npos) << whole;
  for (std::size_t piece : {1u, 2u, 3u, 7u, 64u, 1000u}) {
    std::vector<std::size_t> sizes(stream.size() / piece, piece);
    if (stream.size() % piece != 0) sizes.push_back(stream.size() % piece);
    EXPECT_EQ(feed(stream, sizes), whole) << "pieces of " << piece;
  }
}

}  // namespace
}  // namespace osprey::sip
