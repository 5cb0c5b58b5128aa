#include "store/memory_location_store.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store_test_support.hpp"

namespace osprey::store {
namespace {

using testing::contacts_of;
using testing::make_binding;

constexpr std::int64_t kNow = 1'700'000'000;

// decide() that installs `bindings` whatever the current set.
LocationStore::Decide set_to(std::vector<Binding> bindings) {
  return [bindings = std::move(bindings)](const std::vector<Binding>&) { return AorUpdate{bindings}; };
}

// Updates and reports whether `durable` ran before update returned, and with what.
std::optional<bool> update_now(LocationStore& store, const std::string& aor,
                               const LocationStore::Decide& decide, std::int64_t now = kNow) {
  std::optional<bool> result;
  store.update(aor, now, decide, [&](bool ok) { result = ok; });
  return result;
}

TEST(MemoryLocationStore, AddsLooksUpReplacesAndRemoves) {
  MemoryLocationStore store;
  const std::string aor = "sip:alice@example.com";
  EXPECT_TRUE(store.lookup(aor, kNow).empty());

  EXPECT_EQ(update_now(store, aor, set_to({make_binding(aor, "sip:a@192.0.2.1", kNow + 60)})), true);
  auto found = store.lookup(aor, kNow);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].aor, aor);
  EXPECT_EQ(found[0].contact, "sip:a@192.0.2.1");
  EXPECT_EQ(store.aor_count(), 1u);
  EXPECT_EQ(store.binding_count(), 1u);

  EXPECT_EQ(update_now(store, aor,
                       set_to({make_binding(aor, "sip:b@192.0.2.2", kNow + 60),
                               make_binding(aor, "sip:c@192.0.2.3", kNow + 120)})),
            true);
  EXPECT_EQ(contacts_of(store.lookup(aor, kNow)),
            (std::vector<std::string>{"sip:b@192.0.2.2", "sip:c@192.0.2.3"}));
  EXPECT_EQ(store.aor_count(), 1u);
  EXPECT_EQ(store.binding_count(), 2u);

  EXPECT_EQ(update_now(store, aor, set_to({})), true);  // an empty set removes the AOR
  EXPECT_TRUE(store.lookup(aor, kNow).empty());
  EXPECT_EQ(store.aor_count(), 0u);
  EXPECT_EQ(store.binding_count(), 0u);
}

TEST(MemoryLocationStore, DecideSeesOnlyLiveBindingsAndLookupNeverReturnsExpiredOnes) {
  MemoryLocationStore store;
  const std::string aor = "sip:bob@example.com";
  ASSERT_EQ(update_now(store, aor,
                       set_to({make_binding(aor, "sip:short", kNow + 10),
                               make_binding(aor, "sip:long", kNow + 100)})),
            true);
  EXPECT_EQ(contacts_of(store.lookup(aor, kNow + 10)), std::vector<std::string>{"sip:long"});
  EXPECT_TRUE(store.lookup(aor, kNow + 100).empty());
  EXPECT_EQ(store.binding_count(), 2u);  // not swept yet

  std::vector<std::string> seen;
  store.update(
      aor, kNow + 50,
      [&](const std::vector<Binding>& current) {
        seen = contacts_of(current);
        return std::optional<AorUpdate>{};
      },
      [](bool) {});
  EXPECT_EQ(seen, std::vector<std::string>{"sip:long"});
}

TEST(MemoryLocationStore, DecideReturningNothingChangesNothingAndIsDurableAtOnce) {
  MemoryLocationStore store;
  const std::string aor = "sip:carol@example.com";
  ASSERT_EQ(update_now(store, aor, set_to({make_binding(aor, "sip:c", kNow + 60)})), true);
  EXPECT_EQ(update_now(store, aor, [](const std::vector<Binding>&) { return std::optional<AorUpdate>{}; }),
            true);
  EXPECT_EQ(contacts_of(store.lookup(aor, kNow)), std::vector<std::string>{"sip:c"});
  // And for an AOR that does not exist: no entry is created.
  EXPECT_EQ(update_now(store, "sip:nobody@example.com",
                       [](const std::vector<Binding>&) { return std::optional<AorUpdate>{}; }),
            true);
  EXPECT_EQ(store.aor_count(), 1u);
}

TEST(MemoryLocationStore, ExpireRemovesExpiredBindingsAndEmptyAorsAndCountsThem) {
  MemoryLocationStore store;
  for (int i = 0; i < 100; ++i) {
    const std::string aor = "sip:user" + std::to_string(i) + "@example.com";
    // Even users: one binding expiring at +10, one at +100. Odd users: one at +10 only.
    std::vector<Binding> bindings{make_binding(aor, "sip:soon", kNow + 10)};
    if (i % 2 == 0) bindings.push_back(make_binding(aor, "sip:later", kNow + 100));
    ASSERT_EQ(update_now(store, aor, set_to(bindings)), true);
  }
  EXPECT_EQ(store.binding_count(), 150u);
  EXPECT_EQ(store.expire(kNow + 9), 0u);
  EXPECT_EQ(store.expire(kNow + 10), 100u);
  EXPECT_EQ(store.aor_count(), 50u);
  EXPECT_EQ(store.binding_count(), 50u);
  EXPECT_EQ(contacts_of(store.lookup("sip:user0@example.com", kNow + 10)),
            std::vector<std::string>{"sip:later"});
  EXPECT_TRUE(store.lookup("sip:user1@example.com", kNow).empty());  // swept, whatever `now`
  EXPECT_EQ(store.expire(kNow + 10), 0u);
  EXPECT_EQ(store.expire(kNow + 1000), 50u);
  EXPECT_EQ(store.aor_count(), 0u);
  EXPECT_EQ(store.binding_count(), 0u);
}

TEST(MemoryLocationStore, ExpireRemovesEachBindingInTheSecondItExpiresAndKeepsRefreshedOnes) {
  MemoryLocationStore store;
  const std::string aor = "sip:carol@example.com";
  const std::string other = "sip:dave@example.com";
  ASSERT_EQ(update_now(store, aor, set_to({make_binding(aor, "sip:carol@192.0.2.1", kNow + 30)})), true);
  ASSERT_EQ(update_now(store, other, set_to({make_binding(other, "sip:dave@192.0.2.2", kNow + 5000)})), true);
  for (std::int64_t second = kNow; second < kNow + 20; ++second) EXPECT_EQ(store.expire(second), 0u);
  // Refreshed at +20 for another 60 s: its old expiry at +30 must not remove it.
  ASSERT_EQ(update_now(store, aor, set_to({make_binding(aor, "sip:carol@192.0.2.1", kNow + 80)}), kNow + 20),
            true);
  for (std::int64_t second = kNow + 20; second < kNow + 80; ++second) EXPECT_EQ(store.expire(second), 0u);
  EXPECT_EQ(store.expire(kNow + 80), 1u);
  EXPECT_TRUE(store.lookup(aor, kNow).empty());
  EXPECT_EQ(store.aor_count(), 1u);
  // Further than the wheel's span: kept through whole turns, removed in its second.
  for (std::int64_t second = kNow + 81; second < kNow + 5000; ++second) ASSERT_EQ(store.expire(second), 0u);
  EXPECT_EQ(store.expire(kNow + 5000), 1u);
  EXPECT_EQ(store.aor_count(), 0u);
}

TEST(MemoryLocationStore, RestoredBindingsExpireOnTime) {
  MemoryLocationStore store;
  const std::string aor = "sip:erin@example.com";
  store.restore(aor, {make_binding(aor, "sip:a", kNow + 3), make_binding(aor, "sip:b", kNow + 7)});
  EXPECT_EQ(store.expire(kNow), 0u);
  EXPECT_EQ(store.expire(kNow + 3), 1u);
  EXPECT_EQ(store.binding_count(), 1u);
  EXPECT_EQ(store.expire(kNow + 6), 0u);
  EXPECT_EQ(store.expire(kNow + 7), 1u);
  EXPECT_EQ(store.aor_count(), 0u);
}

TEST(MemoryLocationStore, ManyAorsSpreadOverTheShardsStayApart) {
  MemoryLocationStore store;
  constexpr int kAors = 20000;
  for (int i = 0; i < kAors; ++i) {
    const std::string aor = "sip:u" + std::to_string(i) + "@example.com";
    store.update(aor, kNow, set_to({make_binding(aor, "sip:" + std::to_string(i) + "@192.0.2.1", kNow + 60)}),
                 [](bool) {});
  }
  EXPECT_EQ(store.aor_count(), static_cast<std::size_t>(kAors));
  EXPECT_EQ(store.binding_count(), static_cast<std::size_t>(kAors));
  for (int i = 0; i < kAors; i += 97) {
    const auto found = store.lookup("sip:u" + std::to_string(i) + "@example.com", kNow);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].contact, "sip:" + std::to_string(i) + "@192.0.2.1");
  }
  EXPECT_EQ(store.expire(kNow + 60), static_cast<std::size_t>(kAors));
  EXPECT_EQ(store.aor_count(), 0u);
}

TEST(MemoryLocationStore, ConcurrentUpdatesOnTheSameAndOnDifferentAorsAreAtomic) {
  MemoryLocationStore store;
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  const std::string shared = "sip:shared@example.com";
  // Each update reads the shared counter (the cseq of the shared AOR's binding) and writes it
  // back plus one: a lost update would show as a final count below kThreads * kRounds.
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // The thread's own: an AorUpdate is a view of bindings that must outlive update().
      Binding counter;
      auto increment = [&](const std::vector<Binding>& current) {
        const std::uint32_t count = current.empty() ? 0 : current[0].cseq;
        counter = make_binding(shared, "sip:counter", kNow + 3600, count + 1);
        return AorUpdate{std::span<const Binding>(&counter, 1)};
      };
      const std::string own = "sip:thread" + std::to_string(t) + "@example.com";
      for (int round = 0; round < kRounds; ++round) {
        store.update(shared, kNow, increment, [](bool) {});
        // A growing then shrinking set of the thread's own AOR, read back each time.
        std::vector<Binding> bindings;
        for (int k = 0; k <= round % 5; ++k)
          bindings.push_back(make_binding(own, "sip:" + std::to_string(k), kNow + 60));
        store.update(own, kNow, set_to(bindings), [](bool) {});
        if (store.lookup(own, kNow).size() != bindings.size())
          ADD_FAILURE() << "thread " << t << " round " << round;
        (void)store.lookup(shared, kNow);
        (void)store.binding_count();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const auto counter = store.lookup(shared, kNow);
  ASSERT_EQ(counter.size(), 1u);
  EXPECT_EQ(counter[0].cseq, static_cast<std::uint32_t>(kThreads * kRounds));
  EXPECT_EQ(store.aor_count(), 1u + kThreads);
  // Each own AOR ends at round kRounds - 1: (kRounds - 1) % 5 + 1 bindings.
  EXPECT_EQ(store.binding_count(), 1u + kThreads * ((kRounds - 1) % 5 + 1));
}

TEST(MemoryLocationStore, DurableCallbackMayCallTheStoreAgain) {
  MemoryLocationStore store;
  const std::string aor = "sip:dave@example.com";
  std::size_t seen = 0;
  // The callback runs after the shard lock is released: calling back in must not deadlock.
  store.update(aor, kNow, set_to({make_binding(aor, "sip:d", kNow + 60)}),
               [&](bool) { seen = store.lookup(aor, kNow).size(); });
  EXPECT_EQ(seen, 1u);
}

TEST(MemoryLocationStore, RestorePutsLoadedBindingsBack) {
  MemoryLocationStore store;
  const std::string aor = "sip:erin@example.com";
  store.restore(aor, {make_binding(aor, "sip:e1", kNow + 60), make_binding(aor, "sip:e2", kNow + 60)});
  store.restore("sip:empty@example.com", {});
  EXPECT_EQ(contacts_of(store.lookup(aor, kNow)), (std::vector<std::string>{"sip:e1", "sip:e2"}));
  EXPECT_EQ(store.aor_count(), 1u);
  EXPECT_EQ(store.binding_count(), 2u);
}

// Records what the store journals; `pending` decides whether after_pending defers.
class RecordingJournal final : public BindingJournal {
 public:
  struct Write {
    std::string aor;
    std::vector<std::string> contacts;
    std::vector<std::int64_t> durable_until;
    Done done;
  };
  struct State {
    std::mutex mutex;
    std::vector<Write> writes;
    std::vector<Done> barriers;
    bool pending = false;
    bool closed = false;
    bool failed = false;  // a write failed: the file may lag memory
  };
  explicit RecordingJournal(std::shared_ptr<State> state) : state_(std::move(state)) {}
  using BindingJournal::write;
  Done write(SharedPackedAor set, Done done, AorHistory) override {
    std::lock_guard lock(state_->mutex);
    if (state_->closed) return done;
    std::vector<std::string> contacts;
    std::vector<std::int64_t> durable_until;
    set.visit([&](const PackedBinding& binding) {
      contacts.emplace_back(binding.contact);
      durable_until.push_back(binding.durable_until);
    });
    state_->writes.push_back(
        {std::string(set.aor()), std::move(contacts), std::move(durable_until), std::move(done)});
    return {};
  }
  Done after_pending(Done done) override {
    std::lock_guard lock(state_->mutex);
    if (!state_->pending) return done;
    state_->barriers.push_back(std::move(done));
    return {};
  }
  Confirmation confirm(Done done) override {
    std::lock_guard lock(state_->mutex);
    if (state_->failed || state_->closed) return {false, std::move(done)};
    if (!state_->pending) return {true, std::move(done)};
    state_->barriers.push_back(std::move(done));
    return {true, {}};
  }
  void close() override {
    std::lock_guard lock(state_->mutex);
    state_->closed = true;
  }

 private:
  std::shared_ptr<State> state_;
};

TEST(MemoryLocationStore, JournalGetsEachChangeAndDurableWaitsForIt) {
  auto state = std::make_shared<RecordingJournal::State>();
  MemoryLocationStore store(std::make_unique<RecordingJournal>(state));
  const std::string aor = "sip:frank@example.com";
  std::optional<bool> durable;
  store.update(aor, kNow, set_to({make_binding(aor, "sip:f1", kNow + 60)}), [&](bool ok) { durable = ok; });
  EXPECT_FALSE(durable.has_value());              // not until the journal says so
  EXPECT_EQ(store.lookup(aor, kNow).size(), 1u);  // but memory has it at once
  store.update(aor, kNow, set_to({}), [](bool) {});
  ASSERT_EQ(state->writes.size(), 2u);
  EXPECT_EQ(state->writes[0].aor, aor);
  EXPECT_EQ(state->writes[0].contacts, std::vector<std::string>{"sip:f1"});
  EXPECT_TRUE(state->writes[1].contacts.empty());
  state->writes[0].done(true);
  EXPECT_EQ(durable, true);
}

TEST(MemoryLocationStore, NoChangeWaitsForPendingWritesOnlyWhenThereAreSome) {
  auto state = std::make_shared<RecordingJournal::State>();
  MemoryLocationStore store(std::make_unique<RecordingJournal>(state));
  auto nothing = [](const std::vector<Binding>&) { return std::optional<AorUpdate>{}; };
  EXPECT_EQ(update_now(store, "sip:g@example.com", nothing), true);
  state->pending = true;
  EXPECT_EQ(update_now(store, "sip:g@example.com", nothing), std::nullopt);
  ASSERT_EQ(state->barriers.size(), 1u);
  EXPECT_TRUE(state->writes.empty());
}

TEST(MemoryLocationStore, ClosedJournalRefusesTheChangeAndMemoryKeepsTheOldSet) {
  auto state = std::make_shared<RecordingJournal::State>();
  MemoryLocationStore store(std::make_unique<RecordingJournal>(state));
  const std::string aor = "sip:heidi@example.com";
  store.restore(aor, {make_binding(aor, "sip:old", kNow + 60)});
  state->closed = true;
  EXPECT_EQ(update_now(store, aor, set_to({make_binding(aor, "sip:new", kNow + 60)})), false);
  EXPECT_EQ(contacts_of(store.lookup(aor, kNow)), std::vector<std::string>{"sip:old"});
}

TEST(MemoryLocationStore, ExpireJournalsTheShrunkSets) {
  auto state = std::make_shared<RecordingJournal::State>();
  MemoryLocationStore store(std::make_unique<RecordingJournal>(state));
  store.restore("sip:i@example.com", {make_binding("sip:i@example.com", "sip:gone", kNow + 10),
                                      make_binding("sip:i@example.com", "sip:kept", kNow + 100)});
  store.restore("sip:j@example.com", {make_binding("sip:j@example.com", "sip:gone", kNow + 10)});
  store.restore("sip:k@example.com", {make_binding("sip:k@example.com", "sip:kept", kNow + 100)});
  EXPECT_EQ(store.expire(kNow + 10), 2u);
  ASSERT_EQ(state->writes.size(), 2u);
  for (const auto& write : state->writes) {
    EXPECT_FALSE(write.done);  // no one waits for a sweep
    if (write.aor == "sip:i@example.com") {
      EXPECT_EQ(write.contacts, std::vector<std::string>{"sip:kept"});
    } else {
      EXPECT_EQ(write.aor, "sip:j@example.com");
      EXPECT_TRUE(write.contacts.empty());
    }
  }
}

// ---- refreshes (durable_expiry.hpp) ---------------------------------------------------------

// `binding` refreshed at `now` for `interval` seconds by a later REGISTER of a restarted UA:
// new expiry, CSeq and Call-ID, everything else as it was.
Binding refreshed(Binding binding, std::int64_t now, std::int64_t interval) {
  binding.expires_at = now + interval;
  binding.cseq += 1;
  binding.call_id += "-again";
  return binding;
}

TEST(MemoryLocationStore, AWriteRecordsTheExpiryPlusTheRemainingIntervalAsDurable) {
  auto state = std::make_shared<RecordingJournal::State>();
  MemoryLocationStore store(std::make_unique<RecordingJournal>(state));
  const std::string aor = "sip:lena@example.com";
  store.update(
      aor, kNow,
      set_to({make_binding(aor, "sip:l1", kNow + 600), make_binding(aor, "sip:l2", kNow + 3600 * 24)}),
      [](bool) {});
  ASSERT_EQ(state->writes.size(), 1u);
  // At most kMaxLead past the granted expiry, never before it.
  EXPECT_EQ(state->writes[0].durable_until, (std::vector<std::int64_t>{kNow + 1200, kNow + 3600 * 25}));
}

TEST(MemoryLocationStore, ARefreshTheFileAlreadyCoversIsNotWrittenAndAnsweredAtOnce) {
  auto state = std::make_shared<RecordingJournal::State>();
  MemoryLocationStore store(std::make_unique<RecordingJournal>(state));
  const std::string aor = "sip:mia@example.com";
  const Binding first = make_binding(aor, "sip:m1@192.0.2.7", kNow + 3600);
  EXPECT_EQ(update_now(store, aor, set_to({first})), std::nullopt);
  ASSERT_EQ(state->writes.size(), 1u);
  state->writes[0].done(true);
  // Half an interval later: the new expiry (kNow + 5400) is within the durable one (kNow + 7200).
  const Binding second = refreshed(first, kNow + 1800, 3600);
  std::optional<bool> durable;
  store.update(aor, kNow + 1800, set_to({second}), [&](bool ok) { durable = ok; });
  EXPECT_EQ(durable, true);
  EXPECT_EQ(state->writes.size(), 1u);  // nothing written
  const auto now_bound = store.lookup(aor, kNow + 1800);
  ASSERT_EQ(now_bound.size(), 1u);
  EXPECT_EQ(now_bound[0].expires_at, kNow + 5400);  // memory has the refresh
  EXPECT_EQ(now_bound[0].cseq, second.cseq);
  // Once past the durable expiry, the refresh is written, with a new durable expiry.
  const Binding third = refreshed(second, kNow + 3700, 3600);
  store.update(aor, kNow + 3700, set_to({third}), [](bool) {});
  ASSERT_EQ(state->writes.size(), 2u);
  EXPECT_EQ(state->writes[1].durable_until, std::vector<std::int64_t>{kNow + 3700 + 7200});
}

TEST(MemoryLocationStore, ARefreshWaitsForTheWriteItCountsOn) {
  auto state = std::make_shared<RecordingJournal::State>();
  MemoryLocationStore store(std::make_unique<RecordingJournal>(state));
  const std::string aor = "sip:nils@example.com";
  const Binding first = make_binding(aor, "sip:n1", kNow + 3600);
  store.update(aor, kNow, set_to({first}), [](bool) {});
  state->pending = true;  // that write is not on disk yet
  EXPECT_EQ(update_now(store, aor, set_to({refreshed(first, kNow + 10, 3600)}), kNow + 10), std::nullopt);
  EXPECT_EQ(state->barriers.size(), 1u);
  EXPECT_EQ(state->writes.size(), 1u);
}

TEST(MemoryLocationStore, ARefreshThatChangesHowTheBindingIsReachedIsWritten) {
  const std::string aor = "sip:olga@example.com";
  const Binding first = make_binding(aor, "sip:o1", kNow + 3600);
  std::vector<Binding> changes(6, refreshed(first, kNow + 10, 3600));
  changes[0].source->remote.port = 5070;  // a NAT rebinding: requests must go to the new port
  changes[1].q = 500;
  changes[2].path = {"<sip:edge.example.com;lr>"};
  changes[3].instance = "<urn:uuid:00000000-0000-1000-8000-000a95a0e128>";
  changes[4].user_agent = "another phone";
  changes[5].contact = "sip:o2";
  for (const Binding& change : changes) {
    auto state = std::make_shared<RecordingJournal::State>();
    MemoryLocationStore store(std::make_unique<RecordingJournal>(state));
    store.update(aor, kNow, set_to({first}), [](bool) {});
    store.update(aor, kNow + 10, set_to({change}), [](bool) {});
    EXPECT_EQ(state->writes.size(), 2u) << change.contact << " q=" << change.q;
  }
  // So is a refresh that shortens the interval so much that the file would keep the binding
  // more than kMaxLead past its new expiry (here 7,200 - 70 s).
  {
    auto state = std::make_shared<RecordingJournal::State>();
    MemoryLocationStore store(std::make_unique<RecordingJournal>(state));
    store.update(aor, kNow, set_to({first}), [](bool) {});
    store.update(aor, kNow + 10, set_to({refreshed(first, kNow + 10, 60)}), [](bool) {});
    EXPECT_EQ(state->writes.size(), 2u);
  }
  // A set that loses or gains a binding is written too.
  auto state = std::make_shared<RecordingJournal::State>();
  MemoryLocationStore store(std::make_unique<RecordingJournal>(state));
  const Binding other = make_binding(aor, "sip:o3", kNow + 3600);
  store.update(aor, kNow, set_to({first, other}), [](bool) {});
  store.update(aor, kNow + 10, set_to({refreshed(first, kNow + 10, 3600)}), [](bool) {});
  store.update(aor, kNow + 20, set_to({refreshed(first, kNow + 20, 3600), other}), [](bool) {});
  EXPECT_EQ(state->writes.size(), 3u);
}

TEST(MemoryLocationStore, AfterAFailedWriteRefreshesAreWrittenAgain) {
  auto state = std::make_shared<RecordingJournal::State>();
  MemoryLocationStore store(std::make_unique<RecordingJournal>(state));
  const std::string aor = "sip:per@example.com";
  const Binding first = make_binding(aor, "sip:p1", kNow + 3600);
  store.update(aor, kNow, set_to({first}), [](bool) {});
  state->failed = true;  // e.g. that very write: memory has the binding, the file may not
  std::optional<bool> durable;
  store.update(aor, kNow + 10, set_to({refreshed(first, kNow + 10, 3600)}), [&](bool ok) { durable = ok; });
  ASSERT_EQ(state->writes.size(), 2u);
  EXPECT_FALSE(durable.has_value());  // waits for its own write
  state->writes[1].done(true);
  EXPECT_EQ(durable, true);
}

TEST(MemoryLocationStore, DestroyingTheStoreClosesItsJournal) {
  auto state = std::make_shared<RecordingJournal::State>();
  { MemoryLocationStore store(std::make_unique<RecordingJournal>(state)); }
  EXPECT_TRUE(state->closed);
}

}  // namespace
}  // namespace osprey::store
