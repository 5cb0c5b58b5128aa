#include "store/durable_location_store.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "store/durable_expiry.hpp"
#include "store/memory_location_store.hpp"
#include "store/sqlite_journal.hpp"
#include "store_test_support.hpp"

namespace osprey::store {
namespace {

using testing::Callbacks;
using testing::contacts_of;
using testing::make_binding;
using testing::TempDir;

constexpr std::int64_t kNow = 1'700'000'000;

LocationStore::Decide set_to(std::vector<Binding> bindings) {
  return [bindings = std::move(bindings)](const std::vector<Binding>&) { return AorUpdate{bindings}; };
}

TEST(DurableLocationStore, ReloadsWhatWasAcknowledgedAndDropsWhatExpired) {
  TempDir dir;
  Callbacks callbacks;
  {
    auto store = open_durable_location_store(dir.path(), kNow);
    ASSERT_TRUE(store) << store.error();
    EXPECT_EQ((*store)->aor_count(), 0u);
    (*store)->update("sip:a@example.com", kNow,
                     set_to({make_binding("sip:a@example.com", "sip:a1", kNow + 3600),
                             make_binding("sip:a@example.com", "sip:a2", kNow + 10)}),
                     callbacks.make(1));
    (*store)->update("sip:b@example.com", kNow,
                     set_to({make_binding("sip:b@example.com", "sip:b1", kNow + 10)}), callbacks.make(2));
    (*store)->update("sip:c@example.com", kNow,
                     set_to({make_binding("sip:c@example.com", "sip:c1", kNow + 3600)}), callbacks.make(3));
    (*store)->update("sip:c@example.com", kNow, set_to({}), callbacks.make(4));
    ASSERT_TRUE(callbacks.wait_for(4));
    EXPECT_EQ(callbacks.ok_count(), 4u);
  }
  // Restarted 20 s later: a2 and b1 expired meanwhile.
  auto store = open_durable_location_store(dir.path(), kNow + 20);
  ASSERT_TRUE(store) << store.error();
  EXPECT_EQ((*store)->aor_count(), 1u);
  EXPECT_EQ((*store)->binding_count(), 1u);
  EXPECT_EQ(contacts_of((*store)->lookup("sip:a@example.com", kNow + 20)),
            std::vector<std::string>{"sip:a1"});
}

TEST(DurableLocationStore, ExpireKeepsTheFileInStepWithMemory) {
  TempDir dir;
  {
    auto store = open_durable_location_store(dir.path(), kNow);
    ASSERT_TRUE(store) << store.error();
    Callbacks callbacks;
    (*store)->update("sip:a@example.com", kNow,
                     set_to({make_binding("sip:a@example.com", "sip:a1", kNow + 10)}), callbacks.make(1));
    ASSERT_TRUE(callbacks.wait_for(1));
    EXPECT_EQ((*store)->expire(kNow + 10), 1u);
  }  // destroying the store writes the queued removal
  auto journal = SqliteJournal::open(dir.path());
  ASSERT_TRUE(journal) << journal.error();
  auto all = (*journal)->load(kNow);  // at kNow the binding would still be live: it must be gone
  ASSERT_TRUE(all) << all.error();
  EXPECT_TRUE(all->empty());
}

TEST(DurableLocationStore, ARefreshLeftUnwrittenSurvivesARestartAtLeastAsLongAsItsAnswerSaid) {
  TempDir dir;
  const std::string aor = "sip:d@example.com";
  Binding binding = make_binding(aor, "sip:d1@192.0.2.9", kNow + 3600);
  {
    auto journal = SqliteJournal::open(dir.path());
    ASSERT_TRUE(journal) << journal.error();
    const SqliteJournal& file = **journal;
    MemoryLocationStore store(std::move(*journal));
    Callbacks callbacks;
    store.update(aor, kNow, set_to({binding}), callbacks.make(1));
    ASSERT_TRUE(callbacks.wait_for(1));
    EXPECT_EQ(file.commits(), 1u);
    // The phone refreshes at mid-interval (new CSeq, 3600 s from then): acknowledged without a
    // write, because the file already keeps the binding until kNow + 7200.
    binding.cseq = 2;
    binding.expires_at = kNow + 1800 + 3600;
    store.update(aor, kNow + 1800, set_to({binding}), callbacks.make(2));
    ASSERT_TRUE(callbacks.wait_for(2));
    EXPECT_EQ(callbacks.ok_count(), 2u);
    EXPECT_EQ(file.commits(), 1u);
  }
  // Restarted after the first grant ran out, before the refreshed one does: still bound, and
  // until no earlier than the refresh's 200 said.
  auto store = open_durable_location_store(dir.path(), kNow + 4000);
  ASSERT_TRUE(store) << store.error();
  const auto bound = (*store)->lookup(aor, kNow + 4000);
  ASSERT_EQ(bound.size(), 1u);
  EXPECT_EQ(bound[0].contact, "sip:d1@192.0.2.9");
  EXPECT_GE(bound[0].expires_at, kNow + 5400);
  EXPECT_LE(bound[0].expires_at, kNow + 5400 + kMaxLead);
}

// ---- kill -9 ----------------------------------------------------------------------------------
// The store's guarantee: "kill -9 at any moment loses no acknowledged binding". A child process
// runs the real store and reports through a pipe each update whose `durable` callback ran (the
// moment the registrar would send its 200); the parent SIGKILLs it mid-stream, then reopens the
// file: every reported update must be there.

constexpr std::uint32_t kHotEvery = 10;  // every 10th update also rewrites one shared AOR
const std::string kHotAor = "sip:hot@example.com";
// Every 10th update + 5 refreshes one AOR's binding, each time for a little longer: most of
// these refreshes are within the durable expiry of the last write and are not written at all.
constexpr std::uint32_t kRefreshOffset = 5;
const std::string kRefreshedAor = "sip:refreshed@example.com";
std::int64_t refreshed_expiry(std::uint32_t id) { return kNow + 1000 + id % 10'000'000; }

std::string crash_aor(std::uint32_t id) { return "sip:crash" + std::to_string(id) + "@example.com"; }

[[noreturn]] void run_crash_child(const std::filesystem::path& dir, std::uint32_t first_id, int report) {
  auto store = open_durable_location_store(dir, kNow);
  if (!store) _exit(2);
  // At most 64 updates in flight, as a busy server would have: many small group commits, so the
  // kill lands between and inside transactions.
  std::atomic<int> in_flight{0};
  for (std::uint32_t id = first_id; id < first_id + 1'000'000; ++id) {
    while (in_flight.load() >= 64) std::this_thread::sleep_for(std::chrono::microseconds(50));
    ++in_flight;
    const bool hot = id % kHotEvery == 0;
    const bool refresh = id % kHotEvery == kRefreshOffset;
    const std::string aor = hot ? kHotAor : refresh ? kRefreshedAor : crash_aor(id);
    // The hot AOR's contact changes each time, so each of its updates is written.
    const Binding binding =
        hot       ? make_binding(aor, "sip:c" + std::to_string(id) + "@192.0.2.1", kNow + 3600, id)
        : refresh ? make_binding(aor, "sip:c@192.0.2.1", refreshed_expiry(id), id)
                  : make_binding(aor, "sip:c@192.0.2.1", kNow + 3600, id);
    (*store)->update(aor, kNow, set_to({binding}), [report, id, &in_flight](bool ok) {
      if (ok && write(report, &id, sizeof id) != sizeof id) _exit(3);
      --in_flight;
    });
  }
  _exit(0);  // never reached in practice: the parent kills first
}

TEST(DurableLocationStoreCrash, KillNineLosesNoAcknowledgedBinding) {
  TempDir dir;
  std::vector<std::uint32_t> acknowledged;
  // Three lives, each killed after a different number of acknowledgements, on the same file.
  for (std::uint32_t life = 0; life < 3; ++life) {
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    const std::uint32_t first_id = (life + 1) * 10'000'000;
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(pipe_fds[0]);
      run_crash_child(dir.path(), first_id, pipe_fds[1]);
    }
    close(pipe_fds[1]);
    const std::size_t kill_after = 300 + 450 * life;
    std::size_t heard = 0;
    std::uint32_t id = 0;
    std::size_t partial = 0;  // bytes of `id` read so far
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool killed = false;
    for (;;) {
      if (!killed && heard >= kill_after) {
        ASSERT_EQ(kill(child, SIGKILL), 0);
        killed = true;
      }
      if (std::chrono::steady_clock::now() > deadline) break;
      pollfd readable{pipe_fds[0], POLLIN, 0};
      if (poll(&readable, 1, 100) <= 0) continue;
      const ssize_t got = read(pipe_fds[0], reinterpret_cast<char*>(&id) + partial, sizeof id - partial);
      if (got <= 0) break;  // EOF: the child is gone and everything it reported is read
      partial += static_cast<std::size_t>(got);
      if (partial == sizeof id) {
        acknowledged.push_back(id);
        ++heard;
        partial = 0;
      }
    }
    close(pipe_fds[0]);
    if (!killed) kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(killed) << "life " << life << ": only " << heard << " acknowledgements before the deadline";
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child exited early, status " << status;

    // Reopen as a restarted server would.
    auto store = open_durable_location_store(dir.path(), kNow);
    ASSERT_TRUE(store) << store.error();
    std::uint32_t hot_acknowledged = 0;
    std::uint32_t refresh_acknowledged = 0;
    std::size_t missing = 0;
    for (std::uint32_t acked : acknowledged) {
      if (acked % kHotEvery == 0) {
        hot_acknowledged = std::max(hot_acknowledged, acked);
        continue;
      }
      if (acked % kHotEvery == kRefreshOffset) {
        refresh_acknowledged = std::max(refresh_acknowledged, acked);
        continue;
      }
      const auto found = (*store)->lookup(crash_aor(acked), kNow);
      if (found.size() != 1 || found[0].cseq != acked) ++missing;
    }
    EXPECT_EQ(missing, 0u) << "life " << life << ": acknowledged bindings lost";
    // The shared AOR may hold a later, unacknowledged write, never an older one.
    const auto hot = (*store)->lookup(kHotAor, kNow);
    if (hot_acknowledged != 0) {
      ASSERT_EQ(hot.size(), 1u);
      EXPECT_GE(hot[0].cseq, hot_acknowledged);
    }
    // The refreshed AOR: bound, until no earlier than the last acknowledged refresh said (its
    // CSeq may be an older one: durable_expiry.hpp).
    const auto refreshed = (*store)->lookup(kRefreshedAor, kNow);
    if (refresh_acknowledged != 0) {
      ASSERT_EQ(refreshed.size(), 1u) << "life " << life;
      EXPECT_GE(refreshed[0].expires_at, refreshed_expiry(refresh_acknowledged)) << "life " << life;
    }
  }
  EXPECT_GE(acknowledged.size(), 300u + 750u + 1200u);
}

}  // namespace
}  // namespace osprey::store
