#include "registrar/registrar_service.hpp"

#include <algorithm>
#include <limits>
#include <memory>

#include <boost/asio/post.hpp>

#include "registrar/aor.hpp"

namespace osprey::registrar {

RegistrarService::RegistrarService(boost::asio::io_context& io_context, store::LocationStore& store,
                                   RegistrarLimits limits, std::vector<std::string> domains, Clock clock,
                                   NewTag new_tag)
    : io_context_(io_context),
      store_(store),
      limits_(limits),
      domains_(std::move(domains)),
      clock_(std::move(clock)),
      new_tag_(std::move(new_tag)),
      pace_timer_(io_context) {}

bool RegistrarService::serves(const sip::Message& request) const {
  return request.method() == sip::Method::register_ && registers_for(request.request_uri(), domains_);
}

void RegistrarService::handle(txn::TransactionTable& table, txn::ServerTransactionId transaction,
                              const sip::Message& request, const net::Flow& flow) {
  const std::string tag = new_tag_();
  auto read = read_register(request, domains_, store::binding_source_of(flow), limits_);
  if (!read) {
    ++counters_.refused;
    table.respond(transaction, sip::serialize_reply(request, read.error(), tag), read.error().status, tag);
    return;
  }

  auto pending = std::make_shared<Pending>();
  pending->tag = tag;
  const std::int64_t now = clock_();
  // What decide needs, behind one captured pointer: the Decide std::function then holds the
  // lambda inline instead of allocating for it.
  struct DecideInput {
    Pending& pending;
    const RegisterRequest& request;
    std::int64_t now;
    RegistrarLimits limits;
  };
  const DecideInput input{*pending, *read, now, limits_};
  store_.update(
      read->aor, now,
      [&input](const std::vector<store::Binding>& current) -> std::optional<store::AorUpdate> {
        Decision& decision = input.pending.decision;
        decision = decide(input.request, current, input.now, input.limits);
        if (!decision.new_set) return std::nullopt;
        // A view: the set stays in `pending`, for the 200 and the offline delivery.
        return store::AorUpdate{*decision.new_set};
      },
      [this, &table, transaction, pending](bool ok) {
        // Called before handle() has its answer ready (at once, from update(), when there is
        // nothing to wait for: a refresh the file already holds, a query with no write pending):
        // handle() sends it below, on this worker, without the queue and the post.
        auto updating = Pending::kUpdating;
        if (pending->durable.compare_exchange_strong(updating, ok ? Pending::kDurable : Pending::kFailed))
          return;
        // Later, from the writer thread: queued and posted, so the answer goes out on the worker.
        // Only from there: `table` belongs to the worker.
        complete({&table, transaction, pending, ok});
      });
  const Decision& decision = pending->decision;
  pending->answer = decision.refusal ? sip::serialize_reply(request, *decision.refusal, tag)
                                     : ok_response(request, decision.bindings(), now, tag, read->outbound,
                                                   read->flow_timer);
  const auto durable = pending->durable.exchange(Pending::kReturned);
  if (durable != Pending::kUpdating)
    answer({&table, transaction, std::move(pending), durable == Pending::kDurable});
}

void RegistrarService::complete(Completion completion) {
  bool first = false;
  {
    std::lock_guard lock(inbox_mutex_);
    // pacing_ covers a post on its way as well as the timer: one answer_completed() at a time,
    // so a burst is never followed by another without the gap.
    first = inbox_.empty() && !pacing_;
    if (first) pacing_ = true;
    inbox_.push_back(std::move(completion));
  }
  if (first) boost::asio::post(io_context_, [this] { answer_completed(); });
}

void RegistrarService::answer_completed() {
  if (next_answer_ == answering_.size()) {
    answering_.clear();
    next_answer_ = 0;
    std::lock_guard lock(inbox_mutex_);
    answering_.swap(inbox_);
  }
  const std::size_t waiting = answering_.size() - next_answer_;
  const std::size_t end =
      next_answer_ + std::min(waiting, std::max(kAnswersPerBurst, waiting / kBurstsPerBacklog));
  const auto answer_burst = [this, end] {
    for (; next_answer_ < end; ++next_answer_) {
      answer(answering_[next_answer_]);
      answering_[next_answer_].pending.reset();  // answered: freed now, not once the run is over
    }
  };
  if (send_batch_) {
    send_batch_(answer_burst);
  } else {
    answer_burst();
  }
  bool more = false;
  {
    std::lock_guard lock(inbox_mutex_);
    more = next_answer_ < answering_.size() || !inbox_.empty();
    pacing_ = more;
  }
  if (!more) return;
  pace_timer_.expires_after(kBurstGap);
  pace_timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error) answer_completed();
  });
}

void RegistrarService::answer(const Completion& completion) {
  txn::TransactionTable& table = *completion.table;
  Pending& pending = *completion.pending;
  const Decision& decision = pending.decision;
  // A refusal promises nothing about the store: it goes out whatever became of the writes
  // queued before it.
  if (!completion.ok && !decision.refusal) {
    // Not durable: a 200 would be a promise osprey cannot keep (kill -9 would lose it).
    // The answer already holds what a response copies from the request (§8.2.6.2: Via, From,
    // To with our tag, Call-ID, CSeq), so the request's bytes need not be kept for this. No
    // limit applies: the 200 may exceed the ones for received messages (it lists up to
    // max_contacts_per_aor bindings, and gained a To tag) and must still turn into the 500.
    ++counters_.store_failures;
    sip::ParseOptions own_message;
    own_message.max_message_size = std::numeric_limits<std::size_t>::max();
    own_message.max_headers = std::numeric_limits<std::size_t>::max();
    own_message.max_line_length = std::numeric_limits<std::size_t>::max();
    auto answer = sip::Message::parse(std::move(pending.answer), own_message);
    if (!answer) return;  // cannot happen: osprey built it, and no limit applies
    const sip::LocalReply failure{500, "Location store unavailable", {}};
    table.respond(completion.transaction, sip::serialize_reply(*answer, failure, pending.tag), 500,
                  pending.tag);
    return;
  }
  table.respond(completion.transaction, std::move(pending.answer), decision.status(), pending.tag);
  if (decision.refusal) {
    ++counters_.refused;
    return;
  }
  ++counters_.registered;
  // After the 200: messages kept while the user was away follow it.
  const std::vector<store::Binding>& bindings = decision.bindings();
  if (reachable_report_ && !bindings.empty()) reachable_report_(bindings.front().aor, bindings);
}

}  // namespace osprey::registrar
