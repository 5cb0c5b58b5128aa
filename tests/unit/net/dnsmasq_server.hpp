#pragma once
// A real DNS server for the resolver's tests: dnsmasq (package dnsmasq-base) on a free
// 127.0.0.1 port, answering only from the records the test gives it, for names under
// test.example. Stopped (SIGTERM, then SIGKILL) and reaped when the object goes; every wait
// is bounded.

#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>

#include "temp_dir.hpp"

namespace osprey::net::testing {

class DnsmasqServer {
 public:
  // `records`: dnsmasq config lines (naptr-record=, srv-host=, host-record=, txt-record=).
  // `ttl`: local-ttl, the TTL of every answer.
  explicit DnsmasqServer(std::vector<std::string> records, unsigned ttl = 60) {
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) {
      port_ = free_port();
      if (port_ != 0) start(records, ttl);
    }
  }
  ~DnsmasqServer() { stop(); }
  DnsmasqServer(const DnsmasqServer&) = delete;
  DnsmasqServer& operator=(const DnsmasqServer&) = delete;

  bool running() const { return pid_ > 0; }
  std::uint16_t port() const { return port_; }
  std::string log() const {
    std::ifstream stream(directory_.path() / "dnsmasq.log");
    return std::string(std::istreambuf_iterator<char>(stream), std::istreambuf_iterator<char>());
  }

  // Stops the server and starts it again on the same port with other records.
  bool restart(std::vector<std::string> records, unsigned ttl = 60) {
    stop();
    for (int attempt = 0; attempt < 20 && pid_ <= 0; ++attempt) {
      start(records, ttl);
      if (pid_ <= 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return running();
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (!reaped_within(std::chrono::seconds(5))) {
      ::kill(pid_, SIGKILL);
      reaped_within(std::chrono::seconds(5));
    }
    pid_ = -1;
  }

 private:
  // A port free for both UDP and TCP on 127.0.0.1 (dnsmasq listens on both).
  static std::uint16_t free_port() {
    boost::asio::io_context io_context;
    boost::system::error_code error;
    boost::asio::ip::udp::socket udp(io_context);
    udp.open(boost::asio::ip::udp::v4(), error);
    udp.bind({boost::asio::ip::make_address_v4("127.0.0.1"), 0}, error);
    if (error) return 0;
    const std::uint16_t port = udp.local_endpoint(error).port();
    boost::asio::ip::tcp::acceptor tcp(io_context);
    tcp.open(boost::asio::ip::tcp::v4(), error);
    tcp.bind({boost::asio::ip::make_address_v4("127.0.0.1"), port}, error);
    return error ? 0 : port;
  }

  void start(const std::vector<std::string>& records, unsigned ttl) {
    std::string config = "port=" + std::to_string(port_) +
                         "\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\n"
                         "keep-in-foreground\nlocal=/test.example/\npid-file=\nlocal-ttl=" +
                         std::to_string(ttl) + "\n";
    // As root, dnsmasq drops to the user named here (the default one may not exist).
    if (const passwd* user = ::getpwuid(::getuid()); user != nullptr && ::getuid() == 0)
      config += "user=" + std::string(user->pw_name) + "\n";
    for (const std::string& record : records) config += record + "\n";
    const auto file = directory_.write("dnsmasq.conf", config);
    const std::string log = (directory_.path() / "dnsmasq.log").string();

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    std::string conf_arg = "--conf-file=" + file.string();
    std::vector<char*> argv = {const_cast<char*>("dnsmasq"), conf_arg.data(), nullptr};
    pid_t pid = -1;
    const int status = posix_spawnp(&pid, "dnsmasq", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (status != 0) return;
    pid_ = pid;
    if (!listening_within(std::chrono::seconds(5))) stop();
  }

  // Ready once its TCP socket accepts; false when it exited (port taken) or took too long.
  bool listening_within(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      boost::asio::io_context io_context;
      boost::asio::ip::tcp::socket socket(io_context);
      boost::system::error_code error;
      socket.connect({boost::asio::ip::make_address_v4("127.0.0.1"), port_}, error);
      if (!error) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  bool reaped_within(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      const pid_t result = ::waitpid(pid_, &status, WNOHANG);
      if (result == pid_ || result < 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  test_support::TempDir directory_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace osprey::net::testing
