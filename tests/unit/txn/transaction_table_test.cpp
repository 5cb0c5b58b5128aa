#include "txn/transaction_table.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "sip/builder.hpp"
#include "txn/ack_builder.hpp"
#include "txn_messages.hpp"

namespace osprey::txn {
namespace {

using std::chrono::milliseconds;
using testing::parse;

const TimePoint kStart = TimePoint{} + std::chrono::hours(1);

net::Endpoint endpoint(std::string_view address, std::uint16_t port) {
  return {boost::asio::ip::make_address(std::string(address)), port};
}

// net::Flow has no operator== (net/ is not this test's to change).
bool same_flow(const net::Flow& a, const net::Flow& b) {
  return a.protocol == b.protocol && a.remote == b.remote && a.local == b.local &&
         a.connection == b.connection;
}

// The virtual clock every fake reads: milliseconds since kStart.
struct FakeClock {
  milliseconds now{0};
  TimePoint time() const { return kStart + now; }
};

// A Transport that records every send with the time it happened. send_to opens a "connection"
// (a new id) for streams and uses socket 192.0.2.10:5060 for UDP.
class FakeTransport : public net::Transport {
 public:
  struct Sent {
    milliseconds at;
    net::Flow flow;
    std::string bytes;
    bool new_destination = false;  // through send_to
    sip::Message message() const { return parse(bytes); }
  };

  explicit FakeTransport(const FakeClock& clock) : clock_(clock) {}

  bool send(const net::Flow& flow, std::string_view bytes) override {
    if (fail_send) return false;
    sent.push_back({clock_.now, flow, std::string(bytes), false});
    return true;
  }
  std::optional<net::Flow> send_to(net::Protocol protocol, const net::Endpoint& destination,
                                   std::string_view bytes, std::string_view server_name,
                                   net::ConnectionReuse reuse) override {
    if (fail_send_to) return std::nullopt;
    net::Flow flow{protocol, destination, local, protocol == net::Protocol::udp ? 0 : next_connection++};
    sent.push_back({clock_.now, flow, std::string(bytes), true});
    server_names.emplace_back(server_name);
    reuses.push_back(reuse);
    return flow;
  }
  std::optional<net::Endpoint> sent_by(net::Protocol protocol, const net::Endpoint&) const override {
    if (protocol == net::Protocol::tcp && !tcp_listener) return std::nullopt;
    return local;
  }

  std::vector<milliseconds> send_times() const {
    std::vector<milliseconds> times;
    for (const Sent& s : sent) times.push_back(s.at);
    return times;
  }

  net::Endpoint local = endpoint("192.0.2.10", 5060);
  std::vector<net::ConnectionReuse> reuses;  // send_to's, in order
  bool tcp_listener = true;
  bool fail_send = false;
  bool fail_send_to = false;
  net::ConnectionId next_connection = 100;
  std::vector<Sent> sent;
  std::vector<std::string> server_names;

 private:
  const FakeClock& clock_;
};

// A TransactionUser recording each upcall as one line, with hooks a test can use to re-enter
// the table from inside an upcall.
class FakeUser : public TransactionUser {
 public:
  void on_request(ServerTransactionId transaction, const sip::Message& request,
                  const net::Flow& flow) override {
    requests.push_back(transaction);
    request_flows.push_back(flow);
    events.push_back("request " + std::string(request.method_text()));
    if (request_hook) request_hook(transaction, request);
  }
  void on_ack(const sip::Message& ack, const net::Flow&) override {
    events.push_back("ack " + std::string(ack.top_via()->branch));
  }
  void on_cancel(ServerTransactionId invite, const sip::Message&) override {
    cancelled.push_back(invite);
    events.push_back("cancel");
  }
  void on_response(ClientTransactionId transaction, const sip::Message& response) override {
    responses.emplace_back(transaction, response.status());
    events.push_back("response " + std::to_string(response.status()));
  }
  void on_client_failure(ClientTransactionId transaction, int status) override {
    failures.emplace_back(transaction, status);
    events.push_back("failure " + std::to_string(status));
  }
  void on_stray_response(const sip::Message& response, const net::Flow&) override {
    events.push_back("stray " + std::to_string(response.status()));
  }

  std::vector<std::string> events;
  std::vector<ServerTransactionId> requests;
  std::vector<net::Flow> request_flows;
  std::vector<ServerTransactionId> cancelled;
  std::vector<std::pair<ClientTransactionId, int>> responses;
  std::vector<std::pair<ClientTransactionId, int>> failures;
  std::function<void(ServerTransactionId, const sip::Message&)> request_hook;
};

// A request from a client at 198.51.100.7, with the parts the tests vary.
std::string request_text(std::string_view method, std::string_view branch, std::string_view cseq_method = {},
                         std::string_view extra_headers = {}, std::string_view via_transport = "UDP",
                         std::string_view to_tag = {}) {
  std::string text = std::string(method) + " sip:bob@example.com SIP/2.0\r\n";
  text += "Via: SIP/2.0/" + std::string(via_transport) + " 198.51.100.7:5062";
  if (!branch.empty()) text += ";branch=" + std::string(branch);
  text += "\r\n";
  text += "Max-Forwards: 70\r\n";
  text += "To: <sip:bob@example.com>";
  if (!to_tag.empty()) text += ";tag=" + std::string(to_tag);
  text += "\r\n";
  text += "From: <sip:alice@example.com>;tag=a1\r\n";
  text += "Call-ID: call-1@198.51.100.7\r\n";
  text += "CSeq: 7 " + std::string(cseq_method.empty() ? method : cseq_method) + "\r\n";
  text += std::string(extra_headers);
  text += "Content-Length: 0\r\n\r\n";
  return text;
}

sip::Message request(std::string_view method, std::string_view branch = "z9hG4bKclient1") {
  return parse(request_text(method, branch));
}

class TransactionTableTest : public ::testing::Test {
 protected:
  // Moves the clock to `until` one wheel tick at a time, as the worker's loop does.
  void run_until(milliseconds until) {
    while (clock.now < until) {
      clock.now = std::min(clock.now + milliseconds(10), until);
      table.advance(clock.time());
    }
  }
  void run_for(milliseconds duration) { run_until(clock.now + duration); }

  sip::Message response(const sip::Message& request, int status, std::string_view tag = "srv") {
    return testing::response_to(request, status, tag);
  }
  // A response for a request the table sent (sent[index]).
  sip::Message response_to_sent(std::size_t index, int status) {
    return response(transport.sent.at(index).message(), status);
  }

  FakeClock clock;
  FakeTransport transport{clock};
  FakeUser user;
  TransactionTable table{transport, user, TimerSettings{}, kStart};
  net::Flow udp_flow{net::Protocol::udp, endpoint("198.51.100.7", 40000), endpoint("192.0.2.10", 5060), 0};
  net::Flow tcp_flow{net::Protocol::tcp, endpoint("198.51.100.7", 40001), endpoint("192.0.2.10", 5060), 7};
  Target udp_target{net::Protocol::udp, endpoint("203.0.113.5", 5060), {}};
  Target tcp_target{net::Protocol::tcp, endpoint("203.0.113.5", 5060), {}};
};

// ---------------------------------------------------------------------------------------------
// Server transactions

TEST_F(TransactionTableTest, NewRequestReachesTheTuOnceAndRetransmissionsGetTheLastResponse) {
  table.receive(request("OPTIONS"), udp_flow);
  ASSERT_EQ(user.requests.size(), 1u);
  EXPECT_EQ(table.server_count(), 1u);
  // §17.2.2: a retransmission in Trying is absorbed; there is nothing to re-send yet.
  table.receive(request("OPTIONS"), udp_flow);
  EXPECT_EQ(user.requests.size(), 1u);
  EXPECT_TRUE(transport.sent.empty());
  EXPECT_EQ(table.counters().retransmissions_absorbed, 1u);

  ASSERT_TRUE(table.respond(user.requests[0], response(request("OPTIONS"), 200)));
  ASSERT_EQ(transport.sent.size(), 1u);
  EXPECT_EQ(transport.sent[0].message().status(), 200);
  // §18.2.2: no rport: source address, sent-by port, from the socket the request came to.
  EXPECT_EQ(transport.sent[0].flow.remote, endpoint("198.51.100.7", 5062));
  EXPECT_EQ(transport.sent[0].flow.local, udp_flow.local);
  EXPECT_FALSE(transport.sent[0].new_destination);

  table.receive(request("OPTIONS"), udp_flow);
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[1].bytes, transport.sent[0].bytes);
  EXPECT_EQ(user.events, (std::vector<std::string>{"request OPTIONS"}));
  EXPECT_EQ(table.counters().retransmissions_absorbed, 2u);

  // §17.2.2: Timer J = 64*T1 over UDP, then the transaction is gone and its handle refused.
  run_for(milliseconds(32000));
  EXPECT_EQ(table.server_count(), 0u);
  EXPECT_FALSE(table.respond(user.requests[0], response(request("OPTIONS"), 200)));
}

TEST_F(TransactionTableTest, CompletedNonInviteAnswersRetransmissionsUntilTimerJOnly) {
  // The Completed state is kept in compact form; it must behave as the machine would.
  table.receive(request("REGISTER"), udp_flow);
  ASSERT_EQ(user.requests.size(), 1u);
  ASSERT_TRUE(table.respond(user.requests[0], response(request("REGISTER"), 200)));
  EXPECT_EQ(table.server_count(), 1u);
  // A second final is refused, as in Completed.
  EXPECT_FALSE(table.respond(user.requests[0], response(request("REGISTER"), 500)));

  run_for(milliseconds(31980));
  table.receive(request("REGISTER"), udp_flow);
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[1].bytes, transport.sent[0].bytes);
  EXPECT_EQ(transport.sent[1].flow.remote, transport.sent[0].flow.remote);
  EXPECT_EQ(transport.sent[1].flow.local, udp_flow.local);
  EXPECT_EQ(user.requests.size(), 1u);

  // After Timer J the same request is new again (§17.2.2: the transaction is gone).
  run_for(milliseconds(40));
  EXPECT_EQ(table.server_count(), 0u);
  table.receive(request("REGISTER"), udp_flow);
  EXPECT_EQ(user.requests.size(), 2u);
  EXPECT_EQ(transport.sent.size(), 2u);
}

TEST_F(TransactionTableTest, InviteGetsTryingAfter200MsOnlyWhenTheTuIsSilent) {
  table.receive(request("INVITE"), udp_flow);
  run_until(milliseconds(190));
  EXPECT_TRUE(transport.sent.empty());
  run_until(milliseconds(200));
  ASSERT_EQ(transport.sent.size(), 1u);
  EXPECT_EQ(transport.sent[0].message().status(), 100);

  // A second call whose TU answers 180 at once: no 100 Trying from the table.
  std::string text = request_text("INVITE", "z9hG4bKother");
  text.replace(text.find("call-1"), 6, "call-2");
  table.receive(parse(text), udp_flow);
  ASSERT_EQ(user.requests.size(), 2u);
  sip::Message second = parse(text);
  ASSERT_TRUE(table.respond(user.requests[1], response(second, 180)));
  run_for(milliseconds(500));
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[1].message().status(), 180);
}

TEST_F(TransactionTableTest, AckForAFailureEndsTheInviteTransactionAndIsAbsorbed) {
  sip::Message invite = request("INVITE");
  table.receive(request("INVITE"), udp_flow);
  ASSERT_TRUE(table.respond(user.requests[0], response(invite, 486)));
  run_for(milliseconds(500));  // Timer G: one retransmission of the 486
  ASSERT_EQ(transport.sent.size(), 2u);

  table.receive(parse(build_ack_for_failure(invite, response(invite, 486))), udp_flow);
  EXPECT_EQ(user.events, (std::vector<std::string>{"request INVITE"}));  // no on_ack
  run_for(milliseconds(5000));  // no more retransmissions; Timer I ends the transaction
  EXPECT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(table.server_count(), 0u);
}

TEST_F(TransactionTableTest, AckForA2xxGoesToTheTu) {
  sip::Message invite = request("INVITE");
  table.receive(request("INVITE"), udp_flow);
  ASSERT_TRUE(table.respond(user.requests[0], response(invite, 200)));
  // §13.2.2.4: the ACK for a 2xx is a new transaction (new branch).
  table.receive(parse(request_text("ACK", "z9hG4bKack2xx", {}, {}, "UDP", "srv")), udp_flow);
  EXPECT_EQ(user.events, (std::vector<std::string>{"request INVITE", "ack z9hG4bKack2xx"}));
  EXPECT_EQ(table.counters().retransmissions_absorbed, 0u);
}

TEST_F(TransactionTableTest, CancelOfAPendingInviteIsAnswered200AndReachesTheTu) {
  table.receive(request("INVITE"), udp_flow);
  sip::Message invite = request("INVITE");
  ASSERT_TRUE(table.respond(user.requests[0], response(invite, 180, "tu-tag")));

  table.receive(request("CANCEL"), udp_flow);
  ASSERT_EQ(transport.sent.size(), 2u);
  sip::Message ok = transport.sent[1].message();
  EXPECT_EQ(ok.status(), 200);
  EXPECT_EQ(ok.cseq()->method_text, "CANCEL");
  EXPECT_EQ(ok.to()->tag(), "tu-tag");  // §9.2: the To tag of the INVITE's responses
  EXPECT_EQ(user.events, (std::vector<std::string>{"request INVITE", "cancel"}));
  ASSERT_EQ(user.cancelled.size(), 1u);
  EXPECT_EQ(user.cancelled[0], user.requests[0]);

  // The CANCEL's retransmission gets the 200 again from its own transaction, no second upcall.
  table.receive(request("CANCEL"), udp_flow);
  ASSERT_EQ(transport.sent.size(), 3u);
  EXPECT_EQ(transport.sent[2].bytes, transport.sent[1].bytes);
  EXPECT_EQ(user.cancelled.size(), 1u);

  // The TU ends the INVITE with 487.
  EXPECT_TRUE(table.respond(user.requests[0], response(invite, 487, "tu-tag")));
}

TEST_F(TransactionTableTest, CancelAfterTheFinalResponseGets200Only) {
  sip::Message invite = request("INVITE");
  table.receive(request("INVITE"), udp_flow);
  ASSERT_TRUE(table.respond(user.requests[0], response(invite, 486)));
  table.receive(request("CANCEL"), udp_flow);
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[1].message().status(), 200);
  EXPECT_EQ(user.events, (std::vector<std::string>{"request INVITE"}));
  EXPECT_EQ(table.counters().cancels_unmatched, 0u);
}

TEST_F(TransactionTableTest, CancelMatchingNothingGets481) {
  table.receive(request("CANCEL"), udp_flow);
  ASSERT_EQ(transport.sent.size(), 1u);
  EXPECT_EQ(transport.sent[0].message().status(), 481);
  EXPECT_EQ(transport.sent[0].message().reason(), "Call/Transaction Does Not Exist");
  EXPECT_TRUE(user.events.empty());
  EXPECT_EQ(table.counters().cancels_unmatched, 1u);
  // Its retransmission gets the same 481.
  table.receive(request("CANCEL"), udp_flow);
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[1].bytes, transport.sent[0].bytes);
}

TEST_F(TransactionTableTest, AProxysCancelMatchingNothingGoesToTheTuAsARequest) {
  // RFC 3261 §16.10: no response context, so the proxy forwards it; the table gives it a
  // server transaction of its own (no 481) and hands it up like a new request.
  table.set_options({.reject_merged_requests = true, .forward_unmatched_cancels = true, .branch_prefix = {}});
  table.receive(request("CANCEL"), udp_flow);
  EXPECT_TRUE(transport.sent.empty());
  EXPECT_EQ(user.events, (std::vector<std::string>{"request CANCEL"}));
  ASSERT_EQ(user.requests.size(), 1u);
  // Its retransmission is absorbed by that transaction; the TU's answer goes out.
  table.receive(request("CANCEL"), udp_flow);
  EXPECT_EQ(user.requests.size(), 1u);
  ASSERT_TRUE(table.respond(user.requests[0], response(request("CANCEL"), 200)));
  ASSERT_EQ(transport.sent.size(), 1u);
  EXPECT_EQ(transport.sent[0].message().status(), 200);
}

TEST_F(TransactionTableTest, AbandonedNonInviteAbsorbsItsRetransmissionsUnansweredUntilTimerJ) {
  // RFC 4320 §4.2: the TU sends no final response (a proxy's branches timed out).
  table.receive(request("MESSAGE"), udp_flow);
  ASSERT_EQ(user.requests.size(), 1u);
  EXPECT_TRUE(table.abandon(user.requests[0]));
  EXPECT_FALSE(table.abandon(user.requests[0]));  // once
  table.receive(request("MESSAGE"), udp_flow);
  EXPECT_EQ(user.requests.size(), 1u);  // not a new request
  EXPECT_TRUE(transport.sent.empty());  // and not answered
  run_for(milliseconds(32100));
  EXPECT_EQ(table.server_count(), 0u);
}

TEST_F(TransactionTableTest, MergedRequestGets482) {
  table.receive(request("INVITE", "z9hG4bKpath1"), udp_flow);
  // §8.2.2.2: same From tag, Call-ID and CSeq, another branch: it came by another path.
  table.receive(request("INVITE", "z9hG4bKpath2"), udp_flow);
  ASSERT_EQ(transport.sent.size(), 1u);
  EXPECT_EQ(transport.sent[0].message().status(), 482);
  EXPECT_EQ(transport.sent[0].message().top_via()->branch, "z9hG4bKpath2");
  EXPECT_EQ(user.requests.size(), 1u);
  EXPECT_EQ(table.counters().merged_rejected, 1u);
  // A retransmission of the merged INVITE gets the 482 again, not a second 482 transaction.
  table.receive(request("INVITE", "z9hG4bKpath2"), udp_flow);
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(table.counters().merged_rejected, 1u);
  // In-dialog requests (To tag) are not merge-checked.
  table.receive(parse(request_text("INVITE", "z9hG4bKpath3", {}, {}, "UDP", "dlg")), udp_flow);
  EXPECT_EQ(user.requests.size(), 2u);
}

TEST_F(TransactionTableTest, Rfc2543RequestRetransmissionIsMatched) {
  // No magic cookie: §17.2.3 matching on Request-URI, tags, Call-ID, CSeq and top Via.
  sip::Message invite = request("INVITE", "");
  table.receive(request("INVITE", ""), udp_flow);
  table.receive(request("INVITE", ""), udp_flow);
  EXPECT_EQ(user.requests.size(), 1u);
  EXPECT_EQ(table.counters().retransmissions_absorbed, 1u);
  // The ACK for its failure (To tag of the response) ends it without reaching the TU.
  ASSERT_TRUE(table.respond(user.requests[0], response(invite, 486)));
  table.receive(parse(request_text("ACK", "", {}, {}, "UDP", "srv")), udp_flow);
  EXPECT_EQ(user.events, (std::vector<std::string>{"request INVITE"}));
  run_for(milliseconds(64 * 500));
  EXPECT_EQ(transport.sent.size(), 1u);  // the ACK stopped Timer G
}

TEST_F(TransactionTableTest, RespondRefusesEndedAndForeignHandles) {
  EXPECT_FALSE(table.respond(ServerTransactionId{}, response(request("OPTIONS"), 200)));
  table.receive(parse(request_text("OPTIONS", "z9hG4bKtcp", {}, {}, "TCP")), tcp_flow);
  ASSERT_EQ(user.requests.size(), 1u);
  sip::Message options = parse(request_text("OPTIONS", "z9hG4bKtcp", {}, {}, "TCP"));
  // §17.2.2: over TCP a final response ends the transaction at once.
  EXPECT_TRUE(table.respond(user.requests[0], response(options, 200)));
  EXPECT_EQ(transport.sent[0].flow.connection, 7u);  // §18.2.2: the same connection
  EXPECT_FALSE(table.respond(user.requests[0], response(options, 200)));
  EXPECT_EQ(table.server_count(), 0u);
  // A new transaction reuses the slot with a new generation: the old handle stays refused.
  table.receive(request("OPTIONS", "z9hG4bKnext"), udp_flow);
  ASSERT_EQ(user.requests.size(), 2u);
  EXPECT_EQ(user.requests[1].index, user.requests[0].index);
  EXPECT_NE(user.requests[1].generation, user.requests[0].generation);
  EXPECT_FALSE(table.respond(user.requests[0], response(options, 200)));
  // A request is no response.
  EXPECT_FALSE(table.respond(user.requests[1], request("OPTIONS")));
}

TEST_F(TransactionTableTest, TuMayEndATransactionFromInsideOnRequest) {
  // The final response over TCP terminates the machine inside respond(), inside on_request:
  // the table must free it only after the upcall returns.
  user.request_hook = [this](ServerTransactionId id, const sip::Message& request) {
    EXPECT_TRUE(table.respond(id, response(request, 404)));
    EXPECT_FALSE(table.respond(id, response(request, 404)));
    EXPECT_EQ(request.method(), sip::Method::invite);  // still readable
  };
  table.receive(parse(request_text("INVITE", "z9hG4bKtcp", {}, {}, "TCP")), tcp_flow);
  ASSERT_EQ(transport.sent.size(), 1u);
  EXPECT_EQ(transport.sent[0].message().status(), 404);
  user.request_hook = nullptr;
  table.receive(parse(request_text("OPTIONS", "z9hG4bKtcp2", {}, {}, "TCP")), tcp_flow);
  EXPECT_EQ(table.server_count(), 2u);  // the INVITE waits for its ACK (Timer H), the OPTIONS for the TU
}

TEST_F(TransactionTableTest, StreamResponseTriesANewConnectionWhenTheOldIsGone) {
  table.receive(parse(request_text("OPTIONS", "z9hG4bKtcp", {}, {}, "TCP")), tcp_flow);
  // A server transaction outlives its connection (§18.2.2), unlike a client one.
  table.on_connection_closed(tcp_flow.connection);
  EXPECT_EQ(table.server_count(), 1u);
  transport.fail_send = true;
  sip::Message options = parse(request_text("OPTIONS", "z9hG4bKtcp", {}, {}, "TCP"));
  EXPECT_TRUE(table.respond(user.requests[0], response(options, 200)));
  ASSERT_EQ(transport.sent.size(), 1u);
  EXPECT_TRUE(transport.sent[0].new_destination);
  EXPECT_EQ(transport.sent[0].flow.protocol, net::Protocol::tcp);
  // The source address, the sent-by port.
  EXPECT_EQ(transport.sent[0].flow.remote, endpoint("198.51.100.7", 5062));
  // A response: any connection to that address and port may carry it.
  EXPECT_EQ(transport.reuses, std::vector<net::ConnectionReuse>{net::ConnectionReuse::peer_flow});
}

// RFC 5923 §5, RFC 5626 §5.3: a request goes over a connection the peer opened only when the
// TU said the destination is that peer's own flow (Target::peer_flow); the ACK of a 2xx too.
TEST_F(TransactionTableTest, RequestsReuseThePeersConnectionOnlyForItsOwnFlow) {
  ASSERT_TRUE(table.send_request(parse(testing::kOptions), tcp_target));
  Target own_flow = tcp_target;
  own_flow.peer_flow = true;
  ASSERT_TRUE(table.send_request(parse(testing::kOptions), own_flow));
  sip::Message invite = parse(testing::kInvite);
  EXPECT_TRUE(table.send_ack(parse(build_ack_for_failure(invite, response(invite, 200))), own_flow));
  using net::ConnectionReuse;
  EXPECT_EQ(transport.reuses,
            (std::vector<ConnectionReuse>{ConnectionReuse::outbound_only, ConnectionReuse::peer_flow,
                                          ConnectionReuse::peer_flow}));
}

TEST_F(TransactionTableTest, ResponsesCarryTheViaStampedOnReceipt) {
  // RFC 3581: the intake stamps received/rport; MessageBuilder::response_to must copy the
  // edited Via so the response reaches the client through its NAT.
  std::string text = request_text("INVITE", "z9hG4bKnat");
  text.insert(text.find(";branch"), ";rport");
  sip::Message invite = parse(text);
  ASSERT_TRUE(stamp_received(invite, udp_flow));
  table.receive(std::move(invite), udp_flow);
  run_for(milliseconds(200));
  ASSERT_EQ(transport.sent.size(), 1u);
  sip::Message trying = transport.sent[0].message();
  EXPECT_EQ(trying.status(), 100);
  EXPECT_EQ(trying.top_via()->rport, "40000");
  EXPECT_EQ(trying.top_via()->received, "198.51.100.7");
  EXPECT_EQ(trying.top_via()->branch, "z9hG4bKnat");
  // RFC 3581 §4: to the source port.
  EXPECT_EQ(transport.sent[0].flow.remote, endpoint("198.51.100.7", 40000));
}

// ---------------------------------------------------------------------------------------------
// Client transactions

TEST_F(TransactionTableTest, RequestGetsOspreysViaOnTop) {
  auto id = table.send_request(parse(testing::kOptions), udp_target);
  ASSERT_TRUE(id);
  ASSERT_EQ(transport.sent.size(), 1u);
  EXPECT_TRUE(transport.sent[0].new_destination);
  EXPECT_EQ(transport.sent[0].flow.remote, udp_target.destination);
  sip::Message sent = transport.sent[0].message();
  ASSERT_TRUE(sent.top_via());
  EXPECT_EQ(sent.top_via()->transport, "UDP");
  EXPECT_EQ(sent.top_via()->host, "192.0.2.10");
  EXPECT_EQ(sent.top_via()->port, 5060);
  EXPECT_TRUE(sent.top_via()->rfc3261_branch());
  EXPECT_EQ(sent.top_via()->branch.size(), 7u + 16u);
  EXPECT_TRUE(sent.top_via()->has_rport);
  EXPECT_EQ(sent.count(sip::HeaderId::via), 2u);  // the UA's Via stays below ours
  // Every request gets a branch of its own.
  ASSERT_TRUE(table.send_request(parse(testing::kOptions), udp_target));
  EXPECT_NE(transport.sent[1].message().top_via()->branch, sent.top_via()->branch);
  EXPECT_EQ(table.client_count(), 2u);
}

TEST_F(TransactionTableTest, NonInviteOverUdpRetransmitsWithTimerEAndTimesOutWith408) {
  auto id = table.send_request(parse(testing::kOptions), udp_target);
  ASSERT_TRUE(id);
  run_until(milliseconds(64 * 500));
  // §17.1.2.2: E starts at T1 and doubles up to T2 = 4 s; F = 64*T1 = 32 s.
  std::vector<milliseconds> expected;
  for (int at : {0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500}) {
    expected.push_back(milliseconds(at));
  }
  EXPECT_EQ(transport.send_times(), expected);
  for (std::size_t i = 1; i < transport.sent.size(); ++i) {
    EXPECT_FALSE(transport.sent[i].new_destination);  // the flow send_to returned
    EXPECT_TRUE(same_flow(transport.sent[i].flow, transport.sent[0].flow));
    EXPECT_EQ(transport.sent[i].bytes, transport.sent[0].bytes);
  }
  ASSERT_EQ(user.failures.size(), 1u);
  EXPECT_EQ(user.failures[0], std::make_pair(*id, 408));
  EXPECT_EQ(table.client_count(), 0u);
}

TEST_F(TransactionTableTest, NonInviteOverTcpIsNotRetransmitted) {
  ASSERT_TRUE(table.send_request(parse(testing::kOptions), tcp_target));
  run_until(milliseconds(64 * 500 - 10));
  EXPECT_EQ(transport.sent.size(), 1u);
  EXPECT_EQ(transport.sent[0].message().top_via()->transport, "TCP");
  EXPECT_TRUE(user.failures.empty());
  run_until(milliseconds(64 * 500));
  EXPECT_EQ(user.events, (std::vector<std::string>{"failure 408"}));
}

TEST_F(TransactionTableTest, ResponsesReachTheirClientTransaction) {
  auto id = table.send_request(parse(testing::kOptions), udp_target);
  ASSERT_TRUE(id);
  table.receive(response_to_sent(0, 200), udp_flow);
  ASSERT_EQ(user.responses.size(), 1u);
  EXPECT_EQ(user.responses[0], std::make_pair(*id, 200));
  // §17.1.2.2: a retransmitted final is absorbed in Completed; Timer K (T4) ends it.
  table.receive(response_to_sent(0, 200), udp_flow);
  EXPECT_EQ(user.responses.size(), 1u);
  run_for(milliseconds(5000));
  EXPECT_EQ(table.client_count(), 0u);
  EXPECT_EQ(transport.sent.size(), 1u);  // no retransmission after the response
  // After the transaction is gone the same response is stray.
  table.receive(response_to_sent(0, 200), udp_flow);
  EXPECT_EQ(user.events.back(), "stray 200");
}

TEST_F(TransactionTableTest, ResponseToAnUnknownBranchIsStray) {
  table.receive(response(request("OPTIONS", "z9hG4bKnobody"), 200), udp_flow);
  EXPECT_EQ(user.events, (std::vector<std::string>{"stray 200"}));
  EXPECT_EQ(table.counters().stray_responses, 1u);
}

TEST_F(TransactionTableTest, UnsendableRequestReturnsNulloptWithoutUpcall) {
  transport.fail_send_to = true;
  EXPECT_FALSE(table.send_request(parse(testing::kOptions), udp_target));
  EXPECT_FALSE(table.send_request(parse(testing::kInvite), udp_target));
  EXPECT_TRUE(user.events.empty());
  EXPECT_EQ(table.client_count(), 0u);
  // No listener for the protocol: no sent-by, nothing sent.
  transport.fail_send_to = false;
  transport.tcp_listener = false;
  EXPECT_FALSE(table.send_request(parse(testing::kOptions), tcp_target));
  EXPECT_TRUE(transport.sent.empty());
}

TEST_F(TransactionTableTest, ClosedConnectionFailsItsClientTransactionsWith503) {
  auto on_tcp = table.send_request(parse(testing::kOptions), tcp_target);
  auto on_udp = table.send_request(parse(testing::kOptions), udp_target);
  ASSERT_TRUE(on_tcp && on_udp);
  table.on_connection_closed(transport.sent[0].flow.connection);
  ASSERT_EQ(user.failures.size(), 1u);
  EXPECT_EQ(user.failures[0], std::make_pair(*on_tcp, 503));
  EXPECT_EQ(table.client_count(), 1u);
}

TEST_F(TransactionTableTest, RetransmissionThatFailsIsA503) {
  auto id = table.send_request(parse(testing::kOptions), udp_target);
  ASSERT_TRUE(id);
  transport.fail_send = true;
  run_for(milliseconds(500));
  EXPECT_EQ(user.failures, (std::vector<std::pair<ClientTransactionId, int>>{{*id, 503}}));
  EXPECT_EQ(table.client_count(), 0u);
}

TEST_F(TransactionTableTest, InviteFailureIsAckedOnTheSameFlow) {
  auto id = table.send_request(parse(testing::kInvite), udp_target);
  ASSERT_TRUE(id);
  run_for(milliseconds(500));  // Timer A: one retransmission
  ASSERT_EQ(transport.sent.size(), 2u);
  table.receive(response_to_sent(0, 486), udp_flow);
  ASSERT_EQ(transport.sent.size(), 3u);
  const auto& ack = transport.sent[2];
  EXPECT_FALSE(ack.new_destination);
  EXPECT_TRUE(same_flow(ack.flow, transport.sent[0].flow));
  sip::Message ack_message = ack.message();
  EXPECT_EQ(ack_message.method(), sip::Method::ack);
  EXPECT_EQ(ack_message.top_via()->branch, transport.sent[0].message().top_via()->branch);
  EXPECT_EQ(user.responses, (std::vector<std::pair<ClientTransactionId, int>>{{*id, 486}}));
  // A retransmitted 486 is ACKed again, not passed up.
  table.receive(response_to_sent(0, 486), udp_flow);
  EXPECT_EQ(transport.sent.size(), 4u);
  EXPECT_EQ(user.responses.size(), 1u);
}

TEST_F(TransactionTableTest, LargeUdpRequestGoesOverTcp) {
  sip::Message big = parse(testing::kOptions);
  big.set_body(std::string(1300, 'x'), "text/plain");
  Target udp_flow_target = udp_target;
  udp_flow_target.peer_flow = true;  // (a UDP flow's, which the move to TCP must not carry over)
  ASSERT_TRUE(table.send_request(std::move(big), udp_flow_target));
  ASSERT_EQ(transport.sent.size(), 1u);
  EXPECT_EQ(transport.sent[0].flow.protocol, net::Protocol::tcp);
  EXPECT_EQ(transport.reuses.at(0), net::ConnectionReuse::outbound_only);  // osprey's own connection
  EXPECT_EQ(transport.sent[0].flow.remote, udp_target.destination);
  sip::Message sent = transport.sent[0].message();
  EXPECT_EQ(sent.top_via()->transport, "TCP");
  EXPECT_EQ(sent.count(sip::HeaderId::via), 2u);
  run_for(milliseconds(2000));
  EXPECT_EQ(transport.sent.size(), 1u);  // reliable: no Timer E

  // Without a TCP listener it stays on UDP.
  transport.tcp_listener = false;
  sip::Message also_big = parse(testing::kOptions);
  also_big.set_body(std::string(1300, 'x'), "text/plain");
  ASSERT_TRUE(table.send_request(std::move(also_big), udp_target));
  EXPECT_EQ(transport.sent[1].flow.protocol, net::Protocol::udp);
  EXPECT_EQ(transport.sent[1].message().top_via()->transport, "UDP");

  // A small one stays on UDP.
  transport.tcp_listener = true;
  ASSERT_TRUE(table.send_request(parse(testing::kOptions), udp_target));
  EXPECT_EQ(transport.sent[2].flow.protocol, net::Protocol::udp);

  // The TU asks for UDP after the peer refused TCP (Target::keep_udp): a datagram it is.
  Target keep_udp = udp_target;
  keep_udp.keep_udp = true;
  sip::Message refused_big = parse(testing::kOptions);
  refused_big.set_body(std::string(1300, 'x'), "text/plain");
  ASSERT_TRUE(table.send_request(std::move(refused_big), keep_udp));
  EXPECT_EQ(transport.sent[3].flow.protocol, net::Protocol::udp);
  EXPECT_EQ(transport.sent[3].message().top_via()->transport, "UDP");
}

TEST_F(TransactionTableTest, AckAndCancelAreNoRequestsOfTheirOwn) {
  sip::Message invite = parse(testing::kInvite);
  std::string ack = build_ack_for_failure(invite, response(invite, 200));
  EXPECT_FALSE(table.send_request(parse(ack), udp_target));
  // §13.2.2.4: the ACK for a 2xx is sent once, with our Via, without a transaction.
  EXPECT_TRUE(table.send_ack(parse(ack), udp_target));
  ASSERT_EQ(transport.sent.size(), 1u);
  EXPECT_TRUE(transport.sent[0].message().top_via()->rfc3261_branch());
  EXPECT_EQ(transport.sent[0].message().count(sip::HeaderId::via), 2u);
  EXPECT_EQ(table.client_count(), 0u);
  run_for(milliseconds(4000));
  EXPECT_EQ(transport.sent.size(), 1u);
  EXPECT_FALSE(table.send_ack(parse(testing::kOptions), udp_target));
}

TEST_F(TransactionTableTest, CancelWaitsForAProvisionalThenGoesTheInvitesWay) {
  auto invite = table.send_request(parse(testing::kInvite), udp_target);
  ASSERT_TRUE(invite);
  auto cancel = table.send_cancel(*invite);
  ASSERT_TRUE(cancel);
  EXPECT_EQ(table.send_cancel(*invite), cancel);  // one CANCEL per INVITE
  EXPECT_EQ(transport.sent.size(), 1u);           // §9.1: not before a provisional
  table.receive(response_to_sent(0, 180), udp_flow);
  ASSERT_EQ(transport.sent.size(), 2u);
  sip::Message sent_invite = transport.sent[0].message();
  sip::Message sent_cancel = transport.sent[1].message();
  EXPECT_EQ(sent_cancel.method(), sip::Method::cancel);
  EXPECT_EQ(sent_cancel.top_via()->text, sent_invite.top_via()->text);
  EXPECT_EQ(sent_cancel.count(sip::HeaderId::via), 1u);
  EXPECT_EQ(sent_cancel.request_uri().text, sent_invite.request_uri().text);
  EXPECT_EQ(sent_cancel.cseq()->number, sent_invite.cseq()->number);
  EXPECT_EQ(sent_cancel.cseq()->method_text, "CANCEL");
  EXPECT_EQ(sent_cancel.count(sip::HeaderId::route), 2u);
  EXPECT_TRUE(same_flow(transport.sent[1].flow, transport.sent[0].flow));
  EXPECT_FALSE(transport.sent[1].new_destination);

  table.receive(response_to_sent(1, 200), udp_flow);
  table.receive(response_to_sent(0, 487), udp_flow);
  EXPECT_EQ(user.responses, (std::vector<std::pair<ClientTransactionId, int>>{
                                {*invite, 180}, {*cancel, 200}, {*invite, 487}}));
  EXPECT_EQ(transport.sent.back().message().method(), sip::Method::ack);
}

TEST_F(TransactionTableTest, HeldCancelIsDroppedWhenTheInviteGetsItsFinalFirst) {
  auto invite = table.send_request(parse(testing::kInvite), udp_target);
  ASSERT_TRUE(invite);
  auto cancel = table.send_cancel(*invite);
  ASSERT_TRUE(cancel);
  table.receive(response_to_sent(0, 200), udp_flow);
  EXPECT_EQ(transport.sent.size(), 1u);
  EXPECT_EQ(user.events, (std::vector<std::string>{"response 200"}));
  EXPECT_FALSE(table.send_cancel(*invite));  // nothing left to cancel
  EXPECT_EQ(table.client_count(), 1u);       // the INVITE, Accepted (RFC 6026)
}

TEST_F(TransactionTableTest, CancelledInviteWithoutFinalEndsAfter64T1) {
  auto invite = table.send_request(parse(testing::kInvite), tcp_target);
  ASSERT_TRUE(invite);
  table.receive(response_to_sent(0, 180), tcp_flow);
  run_for(milliseconds(60000));  // Proceeding: no Timer B, the INVITE waits
  EXPECT_EQ(table.client_count(), 1u);
  auto cancel = table.send_cancel(*invite);
  ASSERT_TRUE(cancel);
  table.receive(response_to_sent(1, 200), tcp_flow);
  run_for(milliseconds(64 * 500 - 10));
  EXPECT_TRUE(user.failures.empty());
  run_for(milliseconds(10));
  // §9.1: considered cancelled.
  EXPECT_EQ(user.failures, (std::vector<std::pair<ClientTransactionId, int>>{{*invite, 408}}));
  EXPECT_EQ(table.client_count(), 0u);
}

TEST_F(TransactionTableTest, TimerCCancelsAnInviteThatRingsWithoutEnd) {
  auto invite = table.send_request(parse(testing::kInvite), tcp_target);
  ASSERT_TRUE(invite);
  table.receive(response_to_sent(0, 180), tcp_flow);
  // §16.7 step 2: a later provisional restarts Timer C.
  run_for(milliseconds(150000));
  table.receive(response_to_sent(0, 183), tcp_flow);
  run_for(milliseconds(180990));
  ASSERT_EQ(transport.sent.size(), 1u);
  run_for(milliseconds(10));
  // §16.8: Timer C fired after a provisional: the branch is CANCELled.
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[1].message().method(), sip::Method::cancel);
  EXPECT_TRUE(user.failures.empty());
  // The callee never answers either: §9.1 ends the INVITE 64*T1 later, a 408 for the TU.
  run_for(milliseconds(64 * 500));
  ASSERT_FALSE(user.failures.empty());
  EXPECT_EQ(user.failures.back(), (std::pair<ClientTransactionId, int>{*invite, 408}));
  EXPECT_EQ(table.client_count(), 0u);
}

TEST_F(TransactionTableTest, A100TryingDoesNotRestartTimerC) {
  auto invite = table.send_request(parse(testing::kInvite), tcp_target);
  ASSERT_TRUE(invite);
  table.receive(response_to_sent(0, 100), tcp_flow);
  run_for(milliseconds(150000));
  table.receive(response_to_sent(0, 100), tcp_flow);
  run_for(milliseconds(31000));
  // 181 s after the INVITE went out, whatever the 100s: the branch is CANCELled.
  ASSERT_EQ(transport.sent.size(), 2u);
  EXPECT_EQ(transport.sent[1].message().method(), sip::Method::cancel);
}

TEST_F(TransactionTableTest, TimerCStopsAtTheFinalResponse) {
  auto invite = table.send_request(parse(testing::kInvite), tcp_target);
  ASSERT_TRUE(invite);
  table.receive(response_to_sent(0, 180), tcp_flow);
  table.receive(response_to_sent(0, 486), tcp_flow);
  const std::size_t sent = transport.sent.size();  // the INVITE and the ACK of the 486
  run_for(milliseconds(200000));
  EXPECT_EQ(transport.sent.size(), sent);
  EXPECT_TRUE(user.failures.empty());
}

TEST_F(TransactionTableTest, WithoutAProvisionalTimerBNotTimerCEndsTheInvite) {
  auto invite = table.send_request(parse(testing::kInvite), tcp_target);
  ASSERT_TRUE(invite);
  run_for(milliseconds(200000));
  EXPECT_EQ(user.failures, (std::vector<std::pair<ClientTransactionId, int>>{{*invite, 408}}));
  EXPECT_EQ(transport.sent.size(), 1u);  // no CANCEL: nothing to cancel before a provisional
}

TEST_F(TransactionTableTest, TuMaySendFromInsideAnUpcall) {
  // A proxy forwards inside on_request; the new client transaction must not disturb the server one.
  std::optional<ClientTransactionId> forwarded;
  user.request_hook = [&](ServerTransactionId, const sip::Message& request) {
    forwarded = table.send_request(request.clone(), udp_target);
  };
  table.receive(request("OPTIONS"), udp_flow);
  ASSERT_TRUE(forwarded);
  table.receive(response_to_sent(0, 200), udp_flow);
  EXPECT_EQ(user.responses, (std::vector<std::pair<ClientTransactionId, int>>{{*forwarded, 200}}));
  EXPECT_TRUE(table.respond(user.requests[0], response(request("OPTIONS"), 200)));
}

}  // namespace
}  // namespace osprey::txn
