#include "net/dns_channel.hpp"

#include <ares.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/address_text.hpp"

namespace osprey::net {

namespace {

constexpr int kClassInternet = 1;  // RFC 1035 §3.2.4: IN

// ares_library_init once per process (it is a no-op on Linux, but the API asks for it): a
// function-local static, so no global state and thread-safe by the language.
int init_library() {
  static const int status = ares_library_init(ARES_LIB_INIT_ALL);
  return status;
}

// One socket c-ares opened. The descriptor only watches it: c-ares owns and closes it, so
// the descriptor lets go of it before that (release, never close).
struct Watch {
  explicit Watch(boost::asio::io_context& io_context) : descriptor(io_context) {}
  ~Watch() { let_go(); }
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;
  void let_go() {
    want_read = false;
    want_write = false;
    if (descriptor.is_open()) descriptor.release();
  }
  boost::asio::posix::stream_descriptor descriptor;
  bool want_read = false;
  bool want_write = false;
  bool reading = false;  // a wait is outstanding
  bool writing = false;
};

}  // namespace

struct DnsChannel::Core : std::enable_shared_from_this<Core> {
  explicit Core(boost::asio::io_context& context) : io_context(context), timer(context) {}
  ~Core() { shut(); }
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  struct PendingQuery {
    std::weak_ptr<Core> core;
    DnsAnswerCallback done;
  };

  static void on_socket_state(void* data, ares_socket_t socket, int readable, int writable) {
    static_cast<Core*>(data)->socket_state(socket, readable != 0, writable != 0);
  }

  static void on_answer(void* argument, int status, int /*timeouts*/, unsigned char* answer, int length) {
    std::unique_ptr<PendingQuery> pending(static_cast<PendingQuery*>(argument));
    auto core = pending->core.lock();
    if (!core) return;  // ares_destroy from ~Core: nobody to tell
    if (core->in_flight > 0) --core->in_flight;
    if (core->closed || status == ARES_EDESTRUCTION) return;
    const std::size_t size = answer == nullptr || length <= 0 ? 0 : static_cast<std::size_t>(length);
    if (core->submitting) {
      // c-ares failed the query inside ares_query (no server reachable at all): report it from
      // the loop, so the caller is never re-entered from its own call.
      std::vector<unsigned char> copy(answer, answer + size);
      boost::asio::post(core->io_context, [weak = std::weak_ptr<Core>(core), done = std::move(pending->done),
                                           copy = std::move(copy), status] {
        auto alive = weak.lock();
        if (!alive || alive->closed) return;
        done(status, std::span<const unsigned char>(copy));
      });
      return;
    }
    pending->done(status, std::span<const unsigned char>(answer, size));
  }

  void socket_state(ares_socket_t socket, bool readable, bool writable) {
    if (closed) return;
    auto found = watches.find(socket);
    if (!readable && !writable) {
      // c-ares closes the socket right after this: let go of it first.
      if (found != watches.end()) {
        found->second->let_go();
        watches.erase(found);
      }
      return;
    }
    if (found == watches.end()) {
      auto watch = std::make_shared<Watch>(io_context);
      boost::system::error_code error;
      watch->descriptor.assign(socket, error);
      if (error) return;  // c-ares's own timeout ends the query
      found = watches.emplace(socket, std::move(watch)).first;
    }
    found->second->want_read = readable;
    found->second->want_write = writable;
    arm(socket, found->second);
  }

  void arm(ares_socket_t socket, const std::shared_ptr<Watch>& watch) {
    if (watch->want_read && !watch->reading) {
      watch->reading = true;
      watch->descriptor.async_wait(
          boost::asio::posix::stream_descriptor::wait_read,
          [weak = weak_from_this(), watch, socket](const boost::system::error_code& error) {
            watch->reading = false;
            if (error) return;
            auto core = weak.lock();
            if (!core || core->closed) return;
            core->process(socket, ARES_SOCKET_BAD);
          });
    }
    if (watch->want_write && !watch->writing) {
      watch->writing = true;
      watch->descriptor.async_wait(
          boost::asio::posix::stream_descriptor::wait_write,
          [weak = weak_from_this(), watch, socket](const boost::system::error_code& error) {
            watch->writing = false;
            if (error) return;
            auto core = weak.lock();
            if (!core || core->closed) return;
            core->process(ARES_SOCKET_BAD, socket);
          });
    }
  }

  // Lets c-ares read, write and time out what is due, then watches again what it still wants.
  void process(ares_socket_t read_socket, ares_socket_t write_socket) {
    ares_process_fd(channel, read_socket, write_socket);
    if (closed) return;
    const ares_socket_t socket = read_socket != ARES_SOCKET_BAD ? read_socket : write_socket;
    if (socket != ARES_SOCKET_BAD) {
      auto found = watches.find(socket);
      if (found != watches.end()) arm(socket, found->second);
    }
    schedule_timer();
  }

  // c-ares's next retransmission or timeout (ares_timeout), as an asio timer.
  void schedule_timer() {
    if (closed) return;
    timeval storage{};
    const timeval* next = ares_timeout(channel, nullptr, &storage);
    if (next == nullptr) {
      timer.cancel();
      return;
    }
    timer.expires_after(std::chrono::seconds(next->tv_sec) + std::chrono::microseconds(next->tv_usec));
    timer.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
      if (error) return;
      auto core = weak.lock();
      if (!core || core->closed) return;
      core->process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    });
  }

  void shut() {
    if (closed) return;
    closed = true;
    timer.cancel();
    for (auto& [socket, watch] : watches) watch->let_go();
    watches.clear();
    // Ends every query in flight with ARES_EDESTRUCTION, which on_answer drops.
    if (channel != nullptr) ares_destroy(channel);
    channel = nullptr;
  }

  boost::asio::io_context& io_context;
  ares_channel channel = nullptr;
  boost::asio::steady_timer timer;
  std::unordered_map<ares_socket_t, std::shared_ptr<Watch>> watches;
  std::size_t in_flight = 0;
  bool submitting = false;
  bool closed = false;
};

tl::expected<std::unique_ptr<DnsChannel>, std::string> DnsChannel::create(boost::asio::io_context& io_context,
                                                                          const DnsSettings& settings) {
  if (const int status = init_library(); status != ARES_SUCCESS)
    return tl::unexpected(std::string("c-ares: ") + ares_strerror(status));
  auto core = std::make_shared<Core>(io_context);
  ares_options options{};
  options.timeout = static_cast<int>(settings.timeout.count());
  options.tries = static_cast<int>(settings.attempts);
  options.sock_state_cb = &Core::on_socket_state;
  options.sock_state_cb_data = core.get();
  const int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
  if (const int status = ares_init_options(&core->channel, &options, mask); status != ARES_SUCCESS) {
    core->channel = nullptr;
    return tl::unexpected(std::string("c-ares: ") + ares_strerror(status));
  }
  if (!settings.servers.empty()) {
    std::vector<ares_addr_port_node> nodes(settings.servers.size());
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      const Endpoint& server = settings.servers[i];
      ares_addr_port_node& node = nodes[i];
      node.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
      if (server.address.is_v4()) {
        node.family = AF_INET;
        const auto bytes = server.address.to_v4().to_bytes();
        std::memcpy(&node.addr.addr4, bytes.data(), bytes.size());
      } else {
        node.family = AF_INET6;
        const auto bytes = server.address.to_v6().to_bytes();
        std::memcpy(&node.addr.addr6, bytes.data(), bytes.size());
      }
      node.udp_port = server.port;
      node.tcp_port = server.port;
    }
    if (const int status = ares_set_servers_ports(core->channel, nodes.data()); status != ARES_SUCCESS)
      return tl::unexpected(std::string("c-ares servers: ") + ares_strerror(status));
  }
  return std::unique_ptr<DnsChannel>(new DnsChannel(std::move(core)));
}

DnsChannel::DnsChannel(std::shared_ptr<Core> core) : core_(std::move(core)) {}

DnsChannel::~DnsChannel() { core_->shut(); }

void DnsChannel::query(const std::string& name, DnsType type, DnsAnswerCallback done) {
  auto* pending = new Core::PendingQuery{core_, std::move(done)};
  ++core_->in_flight;
  core_->submitting = true;
  ares_query(core_->channel, name.c_str(), kClassInternet, static_cast<int>(type), &Core::on_answer, pending);
  core_->submitting = false;
  core_->schedule_timer();
}

std::vector<boost::asio::ip::address> DnsChannel::hosts_file_addresses(const std::string& name) const {
  std::vector<boost::asio::ip::address> addresses;
  for (const int family : {AF_INET6, AF_INET}) {
    hostent* host = nullptr;
    if (ares_gethostbyname_file(core_->channel, name.c_str(), family, &host) != ARES_SUCCESS ||
        host == nullptr)
      continue;
    for (char** entry = host->h_addr_list; entry != nullptr && *entry != nullptr; ++entry) {
      boost::asio::ip::address address;
      if (host->h_addrtype == AF_INET && host->h_length == 4) {
        boost::asio::ip::address_v4::bytes_type bytes;
        std::memcpy(bytes.data(), *entry, bytes.size());
        address = boost::asio::ip::address_v4(bytes);
      } else if (host->h_addrtype == AF_INET6 && host->h_length == 16) {
        boost::asio::ip::address_v6::bytes_type bytes;
        std::memcpy(bytes.data(), *entry, bytes.size());
        address = unmapped(boost::asio::ip::address(boost::asio::ip::address_v6(bytes)));
      } else {
        continue;
      }
      if (std::find(addresses.begin(), addresses.end(), address) == addresses.end())
        addresses.push_back(address);
    }
    ares_free_hostent(host);
  }
  return addresses;
}

std::size_t DnsChannel::queries_in_flight() const { return core_->in_flight; }

}  // namespace osprey::net
