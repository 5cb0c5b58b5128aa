#include "sip/stream_framer.hpp"

#include <optional>

#include "sip/char_class.hpp"
#include "sip/scanner.hpp"

namespace osprey::sip {

Result<std::optional<std::size_t>> find_content_length(std::string_view headers) {
  std::optional<std::size_t> length;
  std::size_t pos = headers.find("\r\n");  // skip the start line
  while (pos != std::string_view::npos && pos + 2 < headers.size()) {
    std::size_t line = pos + 2;
    std::size_t name_end = line;
    while (name_end < headers.size() && is_token_char(headers[name_end])) ++name_end;
    std::string_view name = headers.substr(line, name_end - line);
    // The value runs to the next CRLF not followed by SP/HTAB (folding).
    std::size_t end = line;
    while (true) {
      end = headers.find("\r\n", end);
      if (end == std::string_view::npos || end + 2 >= headers.size() || !is_wsp(headers[end + 2])) break;
      end += 2;
    }
    if (iequals(name, "content-length") || iequals(name, "l")) {
      std::size_t colon = headers.find(':', name_end);
      if (colon == std::string_view::npos || colon > end) {
        return make_error(ErrorCategory::content_length, "Malformed Content-Length", "Content-Length", line);
      }
      std::string_view value = trim_lws(headers.substr(colon + 1, end - colon - 1));
      auto n = parse_decimal(value, 0xFFFFFFFFULL);
      if (!n)
        return make_error(ErrorCategory::content_length, "Malformed Content-Length", "Content-Length", line);
      if (length) {
        return make_error(ErrorCategory::content_length, "Multiple Content-Length headers", "Content-Length",
                          line);
      }
      length = static_cast<std::size_t>(*n);
    }
    pos = end;
  }
  return length;
}

Result<void> StreamFramer::append(std::string_view data) {
  if (failed_) return make_error(ErrorCategory::too_large, "Stream already failed", {}, 0);
  // One message plus a little slack for the next one's first bytes is all we ever hold.
  if (buffered() + data.size() > limits_.max_message_size * 2) {
    failed_ = true;
    return make_error(ErrorCategory::too_large, "Message Too Large", {}, buffered(), 513);
  }
  if (read_ > 0 && read_ >= buffer_.size() / 2) {
    buffer_.erase(0, read_);
    read_ = 0;
  }
  buffer_.append(data);
  return {};
}

bool StreamFramer::message_started() const {
  const std::string_view data = std::string_view(buffer_).substr(read_);
  // next() leaves at most "\r\n\r" of a keep-alive buffered while it waits to tell ping from pong.
  return !data.empty() && !(data.size() <= 3 && std::string_view("\r\n\r").starts_with(data));
}

void StreamFramer::consume(std::size_t n) {
  read_ += n;
  scanned_ = 0;
  if (read_ == buffer_.size()) {
    buffer_.clear();
    read_ = 0;
  }
}

Result<Frame> StreamFramer::next() {
  if (failed_) return make_error(ErrorCategory::too_large, "Stream already failed", {}, 0);
  std::string_view data = std::string_view(buffer_).substr(read_);
  // Keep-alives between messages (RFC 5626 §3.5.1; RFC 3261 §7.5 ignores CRLF before a start line).
  if (data.size() >= 2 && data[0] == '\r' && data[1] == '\n') {
    if (data.size() >= 4 && data[2] == '\r' && data[3] == '\n') {
      consume(4);
      return Frame{FrameKind::ping, {}};
    }
    if (data.size() == 2 || (data.size() == 3 && data[2] == '\r')) return Frame{};  // ping or pong: wait
    consume(2);
    return Frame{FrameKind::pong, {}};
  }
  if (data.size() == 1 && data[0] == '\r') return Frame{};

  std::size_t from = scanned_ >= 3 ? scanned_ - 3 : 0;
  std::size_t end = data.find("\r\n\r\n", from);
  if (end == std::string_view::npos) {
    scanned_ = data.size();
    if (data.size() > limits_.max_message_size) {
      failed_ = true;
      return make_error(ErrorCategory::too_large, "Header section too large", {}, 0, 513);
    }
    return Frame{};
  }
  std::size_t header_size = end + 4;
  // The same verdict however the bytes were split: an oversized header section is too large
  // whether or not its end has arrived yet.
  if (header_size > limits_.max_message_size) {
    failed_ = true;
    return make_error(ErrorCategory::too_large, "Header section too large", {}, 0, 513);
  }
  auto length = find_content_length(data.substr(0, header_size));
  if (!length) {
    failed_ = true;
    return tl::unexpected(length.error());
  }
  if (!*length) {
    failed_ = true;
    return make_error(ErrorCategory::content_length, "Missing Content-Length on a stream", "Content-Length",
                      0);
  }
  std::size_t total = header_size + **length;
  if (total > limits_.max_message_size) {
    failed_ = true;
    return make_error(ErrorCategory::too_large, "Message Too Large", {}, 0, 513);
  }
  if (data.size() < total) {
    scanned_ = 0;  // the header end is known; the next call re-finds it cheaply
    return Frame{};
  }
  Frame frame{FrameKind::message, std::string(data.substr(0, total))};
  consume(total);
  return frame;
}

}  // namespace osprey::sip
