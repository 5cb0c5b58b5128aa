// A UA over TCP/TLS that comes back over a new connection, from a new port and with a new Contact
// URI, but the same "+sip.instance" (RFC 5626 §6), as linphone does whenever its connection
// drops: its binding is replaced, never added to, and that holds across a restart.

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include "store/binding_source_text.hpp"

#include "recording_transport.hpp"
#include "registrar/registrar_service.hpp"
#include "server/local_responder.hpp"
#include "sip/message.hpp"
#include "store/durable_location_store.hpp"
#include "temp_dir.hpp"
#include "txn/transaction_table.hpp"

namespace osprey::server {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;
constexpr std::string_view kAor = "sip:alice@example.com";
constexpr std::string_view kInstance = "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6";

using osprey::testing::endpoint;
using osprey::testing::RecordingTransport;

std::unique_ptr<store::MemoryLocationStore> open_store(const std::filesystem::path& dir) {
  auto store = store::open_durable_location_store(dir, kNow);
  EXPECT_TRUE(store) << store.error();
  return store ? std::move(*store) : std::make_unique<store::MemoryLocationStore>();
}

// One osprey's registrar on the durable store in `dir`, as a restart would open it again.
class Registrar {
 public:
  explicit Registrar(const std::filesystem::path& dir)
      : store_(open_store(dir)),
        table_(transport_, responder_, {}, txn::Clock::now()),
        registrar_(
            io_context_, *store_, {}, {"example.com"}, [] { return kNow; },
            [this] { return "tag" + std::to_string(++tags_); }) {
    responder_.attach(table_, &registrar_);
  }

  // A REGISTER over a new TCP connection from `port`, with Contact port `port` (linphone's
  // ephemeral port) and the instance written as `instance_text`; returns the answer once it is
  // durable and sent.
  std::string reregister(std::uint32_t cseq, std::uint16_t port, std::string_view instance_text) {
    const std::string n = std::to_string(cseq);
    const std::string text = "REGISTER sip:example.com;transport=tcp SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.9:" +
                             std::to_string(port) + ";branch=z9hG4bKreg" + n +
                             "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=f" + n +
                             "\r\nTo: <sip:alice@example.com>\r\nCall-ID: linphone-1\r\nCSeq: " + n +
                             " REGISTER\r\nContact: <sip:alice@192.0.2.9:" + std::to_string(port) +
                             ";transport=tcp>;expires=3600;+sip.instance=\"<" + std::string(instance_text) +
                             ">\"\r\nContent-Length: 0\r\n\r\n";
    auto request = sip::Message::parse(text);
    EXPECT_TRUE(request) << text;
    if (!request) return {};
    const std::size_t before = transport_.sent.size();
    table_.receive(std::move(*request), {net::Protocol::tcp, endpoint("192.0.2.9", port),
                                         endpoint("127.0.0.1", 5060), ++connections_});
    // The 200 leaves once the SQLite writer has committed: bounded wait.
    for (int turn = 0; turn < 2000 && transport_.sent.size() == before; ++turn) {
      io_context_.restart();
      // Without work queued yet, run_one_for returns at once: wait for the writer's post.
      if (io_context_.poll() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(transport_.sent.size(), before + 1) << "no answer to CSeq " << cseq;
    return transport_.sent.size() > before ? transport_.sent.back().bytes : std::string();
  }

  std::vector<store::Binding> bindings() const { return store_->lookup(kAor, kNow); }

 private:
  boost::asio::io_context io_context_;
  std::unique_ptr<store::MemoryLocationStore> store_;
  RecordingTransport transport_;
  LocalResponder responder_;
  txn::TransactionTable table_;
  int tags_ = 0;
  net::ConnectionId connections_ = 0;
  registrar::RegistrarService registrar_;
};

std::size_t contact_lines(const std::string& answer) {
  std::size_t count = 0;
  for (std::size_t at = answer.find("\r\nContact:"); at != std::string::npos;
       at = answer.find("\r\nContact:", at + 1))
    ++count;
  return count;
}

TEST(RegistrarServiceInstance, TwelveReRegistrationsFromNewPortsLeaveOneBindingAndNo403) {
  test_support::TempDir dir;
  Registrar registrar(dir.path());
  for (std::uint32_t cseq = 1; cseq <= 12; ++cseq) {
    const auto port = static_cast<std::uint16_t>(40000 + cseq);
    const std::string answer = registrar.reregister(cseq, port, kInstance);
    ASSERT_EQ(answer.rfind("SIP/2.0 200", 0), 0u) << "CSeq " << cseq << ":\n" << answer;
    EXPECT_EQ(contact_lines(answer), 1u) << answer;
    EXPECT_NE(answer.find("<sip:alice@192.0.2.9:" + std::to_string(port) + ";transport=tcp>"),
              std::string::npos)
        << answer;
  }
  const auto bindings = registrar.bindings();
  ASSERT_EQ(bindings.size(), 1u);
  ASSERT_TRUE(bindings[0].source);
  EXPECT_EQ(store::source_text(*bindings[0].source),
            "tcp:192.0.2.9:40012");  // requests go over the newest connection
  EXPECT_EQ(bindings[0].instance, kInstance);
}

TEST(RegistrarServiceInstance, TheInstanceStillMatchesAfterARestart) {
  test_support::TempDir dir;
  {
    Registrar before(dir.path());
    ASSERT_EQ(before.reregister(1, 40001, kInstance).rfind("SIP/2.0 200", 0), 0u);
  }
  Registrar after(dir.path());
  ASSERT_EQ(after.bindings().size(), 1u);  // reloaded from the file
  EXPECT_EQ(after.bindings()[0].instance, kInstance);
  // The same device, back with its instance in upper case (RFC 4122 §3: the same UUID).
  const std::string answer = after.reregister(2, 40002, "URN:UUID:F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6");
  ASSERT_EQ(answer.rfind("SIP/2.0 200", 0), 0u) << answer;
  EXPECT_EQ(contact_lines(answer), 1u) << answer;
  const auto bindings = after.bindings();
  ASSERT_EQ(bindings.size(), 1u);
  EXPECT_EQ(bindings[0].contact, "sip:alice@192.0.2.9:40002;transport=tcp");
}

}  // namespace
}  // namespace osprey::server
