#include "client/listen_session.hpp"

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <algorithm>
#include <csignal>
#include <optional>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "client/authenticated_send.hpp"
#include "client/incoming_answer.hpp"
#include "client/received_message.hpp"
#include "client/registration_refresh.hpp"
#include "client/request_factory.hpp"
#include "net/unix_clock.hpp"

namespace osprey::client {

namespace {

// After a failed refresh, try again this soon (the binding may still have half its time).
constexpr std::chrono::seconds kRetryDelay{10};
// After the connection to the registrar closed while idle, register again over a new one this
// soon: until then nothing can reach us (RFC 5626 §4.4.1 recovers a flow the same way).
constexpr std::chrono::seconds kReconnectDelay{2};

bool is_success(const Outcome& outcome) {
  return outcome.response && outcome.response->status() >= 200 && outcome.response->status() < 300;
}

class ListenSession {
 public:
  ListenSession(const ListenSettings& settings, PreparedAgent& prepared, std::ostream& out, std::ostream& err)
      : settings_(settings),
        prepared_(prepared),
        agent_(*prepared.agent),
        out_(out),
        err_(err),
        ids_(fresh_ids()),
        refresh_timer_(agent_.io_context()),
        signals_(agent_.io_context()) {
    if (settings.client.account) credentials_.emplace(*settings.client.account);
  }

  int run() {
    // Set before the REGISTER goes out: a registrar delivers stored messages as soon as the
    // binding exists, possibly before its 200 reaches us.
    agent_.set_request_handler([this](txn::ServerTransactionId transaction, const sip::Message& request) {
      answer(transaction, request);
    });
    watch_signals();
    Delivery registered = send_to_first_reachable(
        prepared_,
        [this](const net::Endpoint& local, net::Protocol protocol) {
          contact_ = contact_uri(local, protocol, settings_.aor);
          return build_register(ids_, settings_.aor, contact_, settings_.expires);
        },
        credentials());
    ids_.cseq = std::max(ids_.cseq, registered.cseq);
    if (!is_success(registered.outcome) || !registered.target) {
      report_failure("register", registered.outcome);
      return exit_code_of(registered.outcome);
    }
    target_ = *registered.target;
    err_ << "registered as " << contact_ << ", waiting for messages (Ctrl-C to stop)" << std::endl;
    if (!stopping_) {
      schedule_refresh(interval_of(registered.outcome));
      agent_.set_connection_closed_handler([this] {
        if (!stopping_ && !refreshing_) schedule_refresh(kReconnectDelay);
      });
      listening_ = true;
      agent_.run();
      listening_ = false;
    }
    refresh_timer_.cancel();
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    const int code = unregister();
    // The agent outlives this session: nothing of it may call back here any more.
    agent_.set_request_handler(nullptr);
    agent_.set_connection_closed_handler(nullptr);
    return code;
  }

 private:
  void watch_signals() {
    // Without exceptions: a signal that cannot be watched leaves Ctrl-C to its default action.
    boost::system::error_code ec;
    signals_.add(SIGINT, ec);
    signals_.add(SIGTERM, ec);
    signals_.async_wait([this](const boost::system::error_code& error, int) {
      if (!error) stop();
    });
  }

  void stop() {
    stopping_ = true;
    // While registering, the REGISTER's own loop finishes first; run() then skips listening.
    if (listening_) agent_.stop();
  }

  void answer(txn::ServerTransactionId transaction, const sip::Message& request) {
    IncomingAnswer answer = answer_for(request);
    if (answer.deliver && stopping_) {
      // Done printing: a 200 now would acknowledge a message nobody sees. RFC 3428 §7 lets the
      // UAS refuse; 480 has a store-and-forward server keep it for the next registration.
      answer = IncomingAnswer{480, {}, {}, false};
    }
    if (auto response = build_answer(request, answer, fresh_tag())) agent_.respond(transaction, *response);
    if (!answer.deliver) return;
    out_ << format_received_message(read_received_message(request, net::unix_seconds())) << std::flush;
    ++printed_;
    if (settings_.count != 0 && printed_ >= settings_.count) stop();
  }

  std::chrono::seconds interval_of(const Outcome& ok) const {
    return refresh_interval(granted_expires(*ok.response, contact_, settings_.expires), target_.protocol);
  }

  void schedule_refresh(std::chrono::seconds after) {
    refresh_timer_.expires_after(after);
    refresh_timer_.async_wait([this](const boost::system::error_code& error) {
      if (!error && !stopping_) refresh();
    });
  }

  // §10.2.4: a refresh is a REGISTER with the same Call-ID and a higher CSeq (§10.2: a
  // registrar drops an out-of-order one). It carries the credentials of the last challenge,
  // with the next nc (RFC 7616 §3.4); a challenge to it starts a new round (challenge_rounds.hpp).
  void refresh() {
    ++ids_.cseq;
    auto request = build_register(ids_, settings_.aor, contact_, settings_.expires);
    if (!request) return;
    refreshing_ = true;
    send_authenticated_async(
        agent_, std::move(*request), target_, credentials(), [this](AuthenticatedOutcome sent) {
          refreshing_ = false;
          ids_.cseq = std::max(ids_.cseq, sent.cseq);
          const Outcome& outcome = sent.outcome;
          if (stopping_) return;
          if (is_success(outcome)) {
            schedule_refresh(interval_of(outcome));
            return;
          }
          err_ << "registration refresh failed: " << describe(outcome) << challenge_note(outcome)
               << "; trying again in " << kRetryDelay.count() << " s" << std::endl;
          schedule_refresh(kRetryDelay);
        });
  }

  int unregister() {
    ++ids_.cseq;
    auto request = build_register(ids_, settings_.aor, contact_, 0);
    if (!request) return kExitBadUsage;
    AuthenticatedOutcome sent = send_authenticated(agent_, std::move(*request), target_, credentials());
    ids_.cseq = std::max(ids_.cseq, sent.cseq);
    if (!is_success(sent.outcome)) {
      report_failure("unregister", sent.outcome);
      return exit_code_of(sent.outcome);
    }
    return kExitSuccess;
  }

  DigestCredentials* credentials() { return credentials_ ? &*credentials_ : nullptr; }

  // describe() names the failure; with a response, the detail says why a challenge was final.
  static std::string challenge_note(const Outcome& outcome) {
    return outcome.response && !outcome.detail.empty() ? " (" + outcome.detail + ")" : std::string();
  }

  void report_failure(std::string_view what, const Outcome& outcome) {
    err_ << what << ": " << describe(outcome) << challenge_note(outcome) << '\n';
  }

  const ListenSettings& settings_;
  PreparedAgent& prepared_;
  UserAgent& agent_;
  std::ostream& out_;
  std::ostream& err_;
  RequestIds ids_;
  // The account and the nonces it met, for the REGISTER, its refreshes and the unregistration.
  std::optional<DigestCredentials> credentials_;
  std::string contact_;
  txn::Target target_;
  boost::asio::steady_timer refresh_timer_;
  boost::asio::signal_set signals_;
  std::size_t printed_ = 0;
  bool listening_ = false;  // agent_.run() is turning the loop
  bool stopping_ = false;
  bool refreshing_ = false;
};

}  // namespace

int listen_for_messages(const ListenSettings& settings, std::ostream& out, std::ostream& err) {
  if (auto aor = sip::parse_uri(settings.aor); !aor || !aor->is_sip() || !aor->has_user) {
    err << "not a SIP address-of-record (sip:user@domain): " << settings.aor << '\n';
    return kExitBadUsage;
  }
  auto prepared = prepare_agent(settings.aor, settings.client);
  if (!prepared) {
    err << describe(prepared.error()) << '\n';
    return exit_code_of(prepared.error());
  }
  int code = kExitSuccess;
  {
    ListenSession session(settings, *prepared, out, err);  // gone before the agent it uses
    code = session.run();
  }
  return code;
}

}  // namespace osprey::client
