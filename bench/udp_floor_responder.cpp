// The floor for the OPTIONS server benchmark (bench/options_load.py): the least work a
// correct UDP responder can do. One thread, blocking recvmmsg of up to 32 datagrams, a 200 OK built
// by a plain line scan for each OPTIONS, one sendmmsg back to the sources. No parser, no
// transaction state, no osprey library: osprey's CPU per transaction is quoted as a ratio to this.
//
//   udp_floor_responder --address 127.0.0.1 --port 5060
//
// Deliberately plain POSIX so the figure does not depend on anything osprey chose.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

constexpr unsigned kBatch = 32;
// The largest UDP payload; a datagram that does not fit is truncated and dropped.
constexpr std::size_t kMaxDatagram = 65535;
// A response is the request's own header lines minus the ones not copied, plus the status line,
// a To tag and Content-Length, with bare LF line ends made CRLF: usually far smaller than the
// request. A response that would not fit (only contrived requests) is not sent.
constexpr std::size_t kMaxResponse = kMaxDatagram + 1024;
constexpr std::string_view kToTag = ";tag=floor";

volatile sig_atomic_t g_stop = 0;

extern "C" void on_signal(int) { g_stop = 1; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The header fields the response copies (RFC 3261 §8.2.6.2), compact forms included (§7.3.3).
enum class Copied { none, via, from, to, call_id, cseq };

Copied classify(std::string_view name) {
  name = trim(name);
  if (iequals(name, "via") || iequals(name, "v")) return Copied::via;
  if (iequals(name, "from") || iequals(name, "f")) return Copied::from;
  if (iequals(name, "to") || iequals(name, "t")) return Copied::to;
  if (iequals(name, "call-id") || iequals(name, "i")) return Copied::call_id;
  if (iequals(name, "cseq")) return Copied::cseq;
  return Copied::none;
}

// True when the To value already has a tag parameter: one after the name-addr's '>' if there is
// one (a tag inside <...> belongs to the URI), else anywhere after the addr-spec.
bool has_tag(std::string_view value) {
  if (const std::size_t close = value.rfind('>'); close != std::string_view::npos) value.remove_prefix(close);
  for (std::size_t at = value.find(';'); at != std::string_view::npos; at = value.find(';', at + 1)) {
    std::string_view parameter = trim(value.substr(at + 1));
    if (parameter.size() >= 3 && iequals(parameter.substr(0, 3), "tag")) {
      parameter = trim(parameter.substr(3));
      if (!parameter.empty() && parameter.front() == '=') return true;
    }
  }
  return false;
}

struct Writer {
  char* out;
  std::size_t size = 0;
  bool overflow = false;
  void put(std::string_view s) {
    if (s.size() > kMaxResponse - size) {
      overflow = true;
      return;
    }
    std::memcpy(out + size, s.data(), s.size());
    size += s.size();
  }
};

// Builds the response to one request into out (capacity kMaxResponse). Returns its size, or 0 to
// send nothing: responses, ACK (RFC 3261 §17.2.1: never answered), requests missing one of the
// five fields a response must echo, and responses that would not fit.
std::size_t respond(std::string_view request, char* out) {
  const std::size_t first_end = request.find('\n');
  if (first_end == std::string_view::npos) return 0;
  std::string_view request_line = request.substr(0, first_end);
  if (!request_line.empty() && request_line.back() == '\r') request_line.remove_suffix(1);
  if (request_line.starts_with("SIP/")) return 0;  // a response: not ours to answer
  const std::string_view method = request_line.substr(0, request_line.find(' '));
  if (method == "ACK") return 0;

  Writer w{out};
  // Only OPTIONS is answered 200; any other request gets 501 (RFC 3261 §8.2.1) so a stray
  // REGISTER or INVITE never looks like success.
  w.put(method == "OPTIONS" ? "SIP/2.0 200 OK\r\n" : "SIP/2.0 501 Not Implemented\r\n");

  unsigned seen = 0;  // bit per Copied kind
  bool copying = false;
  std::size_t pos = first_end + 1;
  while (pos < request.size()) {
    std::size_t end = request.find('\n', pos);
    if (end == std::string_view::npos) end = request.size();
    std::string_view line = request.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of the header section
    if (line.front() == ' ' || line.front() == '\t') {
      // RFC 3261 §7.3.1 line folding: a continuation belongs to the previous field.
      if (copying) {
        w.size -= 2;  // join it to the previous line, whose CRLF is undone
        w.put(line);
        w.put("\r\n");
        if (w.overflow) return 0;
      }
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return 0;  // not a header line: malformed, drop
    const Copied kind = classify(line.substr(0, colon));
    copying = kind != Copied::none;
    if (!copying) continue;
    seen |= 1u << static_cast<unsigned>(kind);
    w.put(line);
    w.put("\r\n");
    if (w.overflow) return 0;
  }
  constexpr unsigned kAll =
      (1u << static_cast<unsigned>(Copied::via)) | (1u << static_cast<unsigned>(Copied::from)) |
      (1u << static_cast<unsigned>(Copied::to)) | (1u << static_cast<unsigned>(Copied::call_id)) |
      (1u << static_cast<unsigned>(Copied::cseq));
  if (seen != kAll) return 0;

  // RFC 3261 §8.2.6.2: add a To tag when the request had none. Done after the scan, on the
  // copied To line, because a folded To value is only complete once its continuations are in.
  std::string_view written(out, w.size);
  for (std::size_t at = 0; at < written.size();) {
    const std::size_t end = written.find("\r\n", at);
    const std::string_view line = written.substr(at, end - at);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && classify(line.substr(0, colon)) == Copied::to) {
      if (!has_tag(line.substr(colon + 1))) {
        if (kToTag.size() > kMaxResponse - w.size) return 0;
        std::memmove(out + end + kToTag.size(), out + end, w.size - end);
        std::memcpy(out + end, kToTag.data(), kToTag.size());
        w.size += kToTag.size();
      }
      break;
    }
    at = end + 2;
  }
  w.put("Content-Length: 0\r\n\r\n");
  return w.overflow ? 0 : w.size;
}

int usage(const char* program) {
  std::fprintf(stderr, "usage: %s --address IPV4_OR_IPV6 --port N\n", program);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const char* address = "127.0.0.1";
  long port = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return usage(argv[0]);
    if (arg == "--address") {
      address = argv[++i];
    } else if (arg == "--port") {
      char* end = nullptr;
      port = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || port < 0 || port > 65535) return usage(argv[0]);
    } else {
      return usage(argv[0]);
    }
  }
  if (port < 0) return usage(argv[0]);

  sockaddr_storage local{};
  socklen_t local_size = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&local);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&local);
  if (inet_pton(AF_INET, address, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    local_size = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, address, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    local_size = sizeof(sockaddr_in6);
  } else {
    std::fprintf(stderr, "udp_floor_responder: '%s' is not an IP address\n", address);
    return 2;
  }

  const int fd = socket(local.ss_family, SOCK_DGRAM, 0);
  if (fd < 0) {
    std::perror("udp_floor_responder: socket");
    return 1;
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&local), local_size) != 0) {
    std::perror("udp_floor_responder: bind");
    close(fd);
    return 1;
  }
  // A signal between the stop check and recvmmsg would otherwise leave it blocked until the next
  // datagram; waking every 200 ms bounds the shutdown and costs nothing under load.
  const timeval wake{0, 200 * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wake, sizeof wake);

  // No SA_RESTART: the signal interrupts the blocking recvmmsg with EINTR.
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  // Static: 32 x 64 KiB in and out is too much for the stack.
  static char in_buffers[kBatch][kMaxDatagram];
  static char out_buffers[kBatch][kMaxResponse];
  static sockaddr_storage sources[kBatch];
  static iovec in_iov[kBatch];
  static iovec out_iov[kBatch];
  static mmsghdr in_msgs[kBatch];
  static mmsghdr out_msgs[kBatch];
  for (unsigned i = 0; i < kBatch; ++i) {
    in_iov[i] = {in_buffers[i], kMaxDatagram};
  }

  std::printf("udp_floor_responder listening on %s port %ld\n", address, port);
  std::fflush(stdout);

  unsigned long long answered = 0;
  while (!g_stop) {
    for (unsigned i = 0; i < kBatch; ++i) {
      in_msgs[i].msg_hdr = {};
      in_msgs[i].msg_hdr.msg_name = &sources[i];
      in_msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
      in_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    // MSG_WAITFORONE: block for the first datagram, then take whatever else is already queued.
    const int received = recvmmsg(fd, in_msgs, kBatch, MSG_WAITFORONE, nullptr);
    if (received < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      std::perror("udp_floor_responder: recvmmsg");
      break;
    }
    unsigned to_send = 0;
    for (unsigned i = 0; i < static_cast<unsigned>(received); ++i) {
      if (in_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) continue;
      const std::size_t size =
          respond(std::string_view(in_buffers[i], in_msgs[i].msg_len), out_buffers[to_send]);
      if (size == 0) continue;
      out_iov[to_send] = {out_buffers[to_send], size};
      out_msgs[to_send].msg_hdr = {};
      out_msgs[to_send].msg_hdr.msg_name = &sources[i];
      out_msgs[to_send].msg_hdr.msg_namelen = in_msgs[i].msg_hdr.msg_namelen;
      out_msgs[to_send].msg_hdr.msg_iov = &out_iov[to_send];
      out_msgs[to_send].msg_hdr.msg_iovlen = 1;
      ++to_send;
    }
    // sendmmsg may send fewer than asked (a full socket buffer); send the rest, drop on error
    // as UDP would.
    for (unsigned sent = 0; sent < to_send;) {
      const int n = sendmmsg(fd, out_msgs + sent, to_send - sent, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        ++sent;  // this datagram cannot go: skip it, keep the others
        continue;
      }
      sent += static_cast<unsigned>(n);
      answered += static_cast<unsigned>(n);
    }
  }
  close(fd);
  std::printf("udp_floor_responder stopped after %llu responses\n", answered);
  return 0;
}
