#include "store/sqlite_journal.hpp"

#include <sqlite3.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "store_test_support.hpp"

namespace osprey::store {
namespace {

using testing::Callbacks;
using testing::contacts_of;
using testing::Gate;
using testing::make_binding;
using testing::TempDir;

constexpr std::int64_t kNow = 1'700'000'000;

std::unique_ptr<SqliteJournal> open_journal(const TempDir& dir) {
  auto journal = SqliteJournal::open(dir.path());
  EXPECT_TRUE(journal) << journal.error();
  return journal ? std::move(*journal) : nullptr;
}

// Every live binding in the file, by AOR, read through a fresh journal.
std::map<std::string, std::vector<Binding>> read_back(const TempDir& dir, std::int64_t now = kNow) {
  std::map<std::string, std::vector<Binding>> out;
  auto journal = open_journal(dir);
  if (!journal) return out;
  auto loaded = journal->load(now, [&](std::string_view aor, std::vector<Binding>&& bindings) {
    out[std::string(aor)] = std::move(bindings);
  });
  EXPECT_TRUE(loaded) << loaded.error();
  return out;
}

std::string aor_of(int i) { return "sip:user" + std::to_string(i) + "@example.com"; }

TEST(SqliteJournal, CreatesTheDataDirectoryAndTheFile) {
  TempDir dir;
  auto journal = SqliteJournal::open(dir.path() / "nested" / "data");
  ASSERT_TRUE(journal) << journal.error();
  EXPECT_EQ((*journal)->file(), dir.path() / "nested" / "data" / "osprey.db");
  EXPECT_TRUE(std::filesystem::exists((*journal)->file()));
}

TEST(SqliteJournal, OpenErrorsNameTheDirectory) {
  TempDir dir;
  const auto blocker = dir.path() / "not-a-directory";
  std::ofstream(blocker) << "x";
  auto journal = SqliteJournal::open(blocker);
  ASSERT_FALSE(journal);
  EXPECT_NE(journal.error().find(blocker.string()), std::string::npos) << journal.error();
}

TEST(SqliteJournal, AWriteIsInTheFileOnceItsCallbackRan) {
  TempDir dir;
  Binding binding = make_binding(aor_of(1), "sip:alice@192.0.2.10:5060;transport=tcp", kNow + 3600, 42);
  binding.q = 700;
  binding.path = {"<sip:edge1.example.net;lr>", "<sip:edge2.example.net;lr;ob>"};
  binding.source = BindingSource{net::Protocol::tcp, {boost::asio::ip::make_address("2001:db8::7"), 5061}, 9};
  binding.user_agent = "Linphone/5.2 (belle-sip/5.2)";
  Callbacks callbacks;
  auto journal = open_journal(dir);
  ASSERT_TRUE(journal);
  ASSERT_FALSE(journal->write(aor_of(1), {binding, make_binding(aor_of(1), "sip:second", kNow + 60)},
                              callbacks.make(1)));
  ASSERT_TRUE(callbacks.wait_for(1));
  EXPECT_EQ(callbacks.ok_count(), 1u);
  // Read through a second connection while the first is still open: it is on disk, not in a cache.
  const auto stored = read_back(dir);
  ASSERT_EQ(stored.count(aor_of(1)), 1u);
  const auto& found = stored.at(aor_of(1));
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].aor, aor_of(1));
  EXPECT_EQ(found[0].contact, binding.contact);
  EXPECT_EQ(found[0].q, 700);
  EXPECT_EQ(found[0].expires_at, kNow + 3600);
  EXPECT_EQ(found[0].call_id, binding.call_id);
  EXPECT_EQ(found[0].cseq, 42u);
  EXPECT_EQ(found[0].path, binding.path);
  // The connection id is not kept: ids restart with the process, and no connection outlives it.
  EXPECT_EQ(found[0].source,
            (BindingSource{net::Protocol::tcp, {boost::asio::ip::make_address("2001:db8::7"), 5061}, 0}));
  EXPECT_EQ(found[0].user_agent, binding.user_agent);
  EXPECT_EQ(found[1].contact, "sip:second");  // the set keeps its order
}

// A data directory of the previous version: sources stored as text ("udp:192.0.2.1:5060"), the
// form this version writes too, load as typed sources; an unreadable one leaves the binding
// without a source (its Contact is then the target), never unloaded.
TEST(SqliteJournal, BindingsOfThePreviousVersionLoad) {
  TempDir dir;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir.path() / "osprey.db").c_str(), &db), SQLITE_OK);
    const std::string row_start = "INSERT INTO bindings VALUES ('sip:alice@example.com', ";
    const std::string row_end =
        ", 'sip:alice@192.0.2.10:5060', 1000, " + std::to_string(kNow + 3600) + ", 'call', 1, '', ";
    const std::string sql =
        "CREATE TABLE bindings (aor TEXT NOT NULL, position INTEGER NOT NULL, contact TEXT NOT NULL,"
        " q INTEGER NOT NULL, expires_at INTEGER NOT NULL, call_id TEXT NOT NULL, cseq INTEGER NOT NULL,"
        " path TEXT NOT NULL, source TEXT NOT NULL, user_agent TEXT NOT NULL, instance TEXT NOT NULL"
        " DEFAULT '', reg_id INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (aor, position)) WITHOUT ROWID;" +
        row_start + "0" + row_end + "'udp:192.0.2.1:5060', 'ua', '', 0);" + row_start + "1" + row_end +
        "'tls:[2001:db8::7]:5061', 'ua', '', 0);" + row_start + "2" + row_end +
        "'udp:phone.example.com:5060', 'ua', '', 0);" + row_start + "3" + row_end + "'', 'ua', '', 0);";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  const auto stored = read_back(dir);
  ASSERT_EQ(stored.count("sip:alice@example.com"), 1u);
  const auto& found = stored.at("sip:alice@example.com");
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].source,
            (BindingSource{net::Protocol::udp, {boost::asio::ip::make_address("192.0.2.1"), 5060}, 0}));
  EXPECT_EQ(found[1].source,
            (BindingSource{net::Protocol::tls, {boost::asio::ip::make_address("2001:db8::7"), 5061}, 0}));
  EXPECT_FALSE(found[2].source);
  EXPECT_FALSE(found[3].source);
}

TEST(SqliteJournal, AWriteReplacesTheWholeSetAndAnEmptySetRemovesTheAor) {
  TempDir dir;
  Callbacks callbacks;
  {
    auto journal = open_journal(dir);
    ASSERT_TRUE(journal);
    ASSERT_FALSE(journal->write(
        aor_of(1), {make_binding(aor_of(1), "sip:a", kNow + 60), make_binding(aor_of(1), "sip:b", kNow + 60)},
        callbacks.make(1)));
    ASSERT_FALSE(journal->write(aor_of(2), {make_binding(aor_of(2), "sip:c", kNow + 60)}, callbacks.make(2)));
    ASSERT_TRUE(callbacks.wait_for(2));
    ASSERT_FALSE(journal->write(aor_of(1), {make_binding(aor_of(1), "sip:z", kNow + 60)}, callbacks.make(3)));
    ASSERT_FALSE(journal->write(aor_of(2), {}, callbacks.make(4)));
    ASSERT_TRUE(callbacks.wait_for(4));
  }
  const auto stored = read_back(dir);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(contacts_of(stored.at(aor_of(1))), std::vector<std::string>{"sip:z"});
}

TEST(SqliteJournal, ConfirmWaitsForEarlierWritesAndFailsWithThemAndOnceAnyFailed) {
  TempDir dir;
  Callbacks callbacks;
  Gate gate;
  auto journal = open_journal(dir);
  ASSERT_TRUE(journal);
  // Nothing pending and nothing failed: in step, to be called at once.
  auto idle = journal->confirm(callbacks.make(0));
  EXPECT_TRUE(idle.in_step);
  EXPECT_TRUE(idle.call_now);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "osprey.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TRIGGER refuse BEFORE INSERT ON bindings WHEN NEW.contact = 'sip:fail'"
                         " BEGIN SELECT RAISE(ABORT, 'refused by test'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  ASSERT_FALSE(
      journal->write(aor_of(0), {make_binding(aor_of(0), "sip:0", kNow + 60)}, [&](bool) { gate.pass(); }));
  ASSERT_TRUE(gate.wait_entered());
  // Queued behind a write that will fail: the confirmation fails with it.
  ASSERT_FALSE(
      journal->write(aor_of(1), {make_binding(aor_of(1), "sip:fail", kNow + 60)}, callbacks.make(1)));
  auto behind = journal->confirm(callbacks.make(2));
  EXPECT_TRUE(behind.in_step);
  EXPECT_FALSE(behind.call_now);
  gate.open();
  ASSERT_TRUE(callbacks.wait_for(2));
  EXPECT_EQ(callbacks.ok_count(), 0u);
  // From then on the file may lag memory: no confirmation, the caller must write.
  bool called = false;
  auto after = journal->confirm([&](bool) { called = true; });
  EXPECT_FALSE(after.in_step);
  ASSERT_TRUE(after.call_now);
  EXPECT_FALSE(called);
}

// Writes aor_of(0) with a callback that holds the writer until `gate` opens, and waits for it
// to be held: what is written meanwhile queues up, as REGISTERs do while the disk is busy.
void hold_writer(SqliteJournal& journal, Gate& gate) {
  ASSERT_FALSE(journal.write(aor_of(0), {make_binding(aor_of(0), "sip:0", kNow + 60)},
                             [&gate](bool) { gate.pass(); }));
  ASSERT_TRUE(gate.wait_entered());
}

// Writes aor_of(first) .. aor_of(last), one binding each, each with its own callback.
void write_each(SqliteJournal& journal, Callbacks& callbacks, int first, int last) {
  for (int i = first; i <= last; ++i) {
    ASSERT_FALSE(journal.write(aor_of(i), {make_binding(aor_of(i), "sip:" + std::to_string(i), kNow + 60)},
                               callbacks.make(i)));
  }
}

// A journal whose writer is held by its first change's callback until `gate` opens: what the
// test writes meanwhile queues up behind it.
class HeldWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    journal = open_journal(dir);
    ASSERT_TRUE(journal);
    ASSERT_NO_FATAL_FAILURE(hold_writer(*journal, gate));
  }

  TempDir dir;
  Callbacks callbacks;
  Gate gate;
  std::unique_ptr<SqliteJournal> journal;
};

TEST_F(HeldWriterTest, GroupCommitWritesAThousandQueuedUpdatesInAFewTransactions) {
  // The next 1000 queue up behind the held first one as a real burst of REGISTERs would while
  // the disk is busy.
  ASSERT_NO_FATAL_FAILURE(write_each(*journal, callbacks, 1, 1000));
  gate.open();
  ASSERT_TRUE(callbacks.wait_for(1000));
  EXPECT_EQ(callbacks.ok_count(), 1000u);
  EXPECT_EQ(journal->commits(), 2u);  // the first alone, then the 1000 together
  journal->close();
  EXPECT_EQ(read_back(dir).size(), 1001u);
}

TEST_F(HeldWriterTest, ACommitUnderLoadSpacesTheNextOne) {
  // kLoadedBatch changes queue behind the held first one.
  const int loaded = static_cast<int>(SqliteJournal::kLoadedBatch);
  ASSERT_NO_FATAL_FAILURE(write_each(*journal, callbacks, 1, loaded));
  const auto opened = std::chrono::steady_clock::now();
  gate.open();
  ASSERT_TRUE(callbacks.wait_for(static_cast<std::size_t>(loaded)));
  // A lone first commit spaces nothing: the queued changes went at once, together.
  EXPECT_EQ(journal->commits(), 2u);
  // That commit began after `opened`, and carried kLoadedBatch: the next one waits for the
  // spacing even though a single change is queued.
  ASSERT_FALSE(
      journal->write(aor_of(100), {make_binding(aor_of(100), "sip:100", kNow + 60)}, callbacks.make(100)));
  ASSERT_TRUE(callbacks.wait_for(static_cast<std::size_t>(loaded) + 1));
  EXPECT_GE(std::chrono::steady_clock::now() - opened, SqliteJournal::kCommitSpacing);
  EXPECT_EQ(journal->commits(), 3u);
}

TEST(SqliteJournal, LoneChangesSpaceNothingAndCommitOneByOne) {
  // Spacing follows load: a small commit leaves the next free to start at once, a big one makes
  // it wait so that one fsync carries what comes meanwhile.
  EXPECT_EQ(SqliteJournal::spacing_after(0), std::chrono::milliseconds{0});
  EXPECT_EQ(SqliteJournal::spacing_after(1), std::chrono::milliseconds{0});
  EXPECT_EQ(SqliteJournal::spacing_after(SqliteJournal::kLoadedBatch - 1), std::chrono::milliseconds{0});
  EXPECT_EQ(SqliteJournal::spacing_after(SqliteJournal::kLoadedBatch), SqliteJournal::kCommitSpacing);
  EXPECT_EQ(SqliteJournal::spacing_after(SqliteJournal::kFullBatch), SqliteJournal::kCommitSpacing);

  TempDir dir;
  Callbacks callbacks;
  auto journal = open_journal(dir);
  ASSERT_TRUE(journal);
  // Each change waits for the previous one to be durable, so each is a commit of its own.
  constexpr int kCommits = 6;
  for (int i = 0; i < kCommits; ++i) {
    ASSERT_FALSE(journal->write(aor_of(i), {make_binding(aor_of(i), "sip:" + std::to_string(i), kNow + 60)},
                                callbacks.make(i)));
    ASSERT_TRUE(callbacks.wait_for(static_cast<std::size_t>(i + 1)));
  }
  EXPECT_EQ(journal->commits(), static_cast<std::uint64_t>(kCommits));
  EXPECT_EQ(callbacks.ok_count(), static_cast<std::size_t>(kCommits));
}

TEST(SqliteJournal, ANewAorSkipsTheDeleteButNeverLeavesOldRowsBehind) {
  TempDir dir;
  Callbacks callbacks;
  {
    auto journal = open_journal(dir);
    ASSERT_TRUE(journal);
    ASSERT_FALSE(journal->write(
        aor_of(1), {make_binding(aor_of(1), "sip:a", kNow + 60), make_binding(aor_of(1), "sip:b", kNow + 60)},
        callbacks.make(1)));
    ASSERT_TRUE(callbacks.wait_for(1));
  }
  {
    Gate gate;
    auto journal = open_journal(dir);
    ASSERT_TRUE(journal);
    ASSERT_FALSE(
        journal->write(aor_of(0), {make_binding(aor_of(0), "sip:0", kNow + 60)}, [&](bool) { gate.pass(); }));
    ASSERT_TRUE(gate.wait_entered());
    // In one batch: the AOR is removed, then registers again as new with one contact. The
    // batch keeps only the last change, which must still delete the two rows from before.
    ASSERT_FALSE(journal->write(aor_of(1), {}, callbacks.make(2)));
    ASSERT_FALSE(journal->write(aor_of(1), {make_binding(aor_of(1), "sip:c", kNow + 60)}, callbacks.make(3),
                                BindingJournal::AorHistory::new_aor));
    // A genuinely new AOR: written without a DELETE.
    ASSERT_FALSE(journal->write(aor_of(2), {make_binding(aor_of(2), "sip:d", kNow + 60)}, callbacks.make(4),
                                BindingJournal::AorHistory::new_aor));
    gate.open();
    ASSERT_TRUE(callbacks.wait_for(4));
  }
  const auto back = read_back(dir);
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(contacts_of(back.at(aor_of(1))), std::vector<std::string>{"sip:c"});
  EXPECT_EQ(contacts_of(back.at(aor_of(2))), std::vector<std::string>{"sip:d"});
}

TEST(SqliteJournal, CallbacksRunInTheOrderOfTheWrites) {
  TempDir dir;
  Callbacks callbacks;
  auto journal = open_journal(dir);
  ASSERT_TRUE(journal);
  std::vector<int> expected;
  for (int i = 0; i < 300; ++i) {
    // A few AORs written again and again: the batches coalesce them, the callbacks stay in order.
    ASSERT_FALSE(journal->write(aor_of(i % 7),
                                {make_binding(aor_of(i % 7), "sip:" + std::to_string(i), kNow + 60)},
                                callbacks.make(i)));
    expected.push_back(i);
  }
  ASSERT_TRUE(callbacks.wait_for(300));
  EXPECT_EQ(callbacks.order(), expected);
  journal->close();
  const auto stored = read_back(dir);
  ASSERT_EQ(stored.size(), 7u);
  // The last write of each AOR won: 293..299 for AORs 293 % 7 ...
  for (int i = 293; i < 300; ++i) {
    EXPECT_EQ(contacts_of(stored.at(aor_of(i % 7))), std::vector<std::string>{"sip:" + std::to_string(i)});
  }
}

TEST(SqliteJournal, LoadDropsExpiredRowsFromTheFile) {
  TempDir dir;
  Callbacks callbacks;
  {
    auto journal = open_journal(dir);
    ASSERT_TRUE(journal);
    ASSERT_FALSE(journal->write(
        aor_of(1), {make_binding(aor_of(1), "sip:gone", kNow), make_binding(aor_of(1), "sip:kept", kNow + 1)},
        callbacks.make(1)));
    ASSERT_FALSE(
        journal->write(aor_of(2), {make_binding(aor_of(2), "sip:gone", kNow - 100)}, callbacks.make(2)));
    ASSERT_TRUE(callbacks.wait_for(2));
  }
  auto stored = read_back(dir, kNow);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(contacts_of(stored.at(aor_of(1))), std::vector<std::string>{"sip:kept"});
  // Deleted, not just skipped: loading "earlier" does not bring them back.
  stored = read_back(dir, kNow - 1000);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored.at(aor_of(1)).size(), 1u);
  // The list form gives the same.
  auto journal = open_journal(dir);
  auto all = journal->load(kNow);
  ASSERT_TRUE(all) << all.error();
  EXPECT_EQ(contacts_of(*all), std::vector<std::string>{"sip:kept"});
}

TEST(SqliteJournal, CloseWritesEverythingStillQueued) {
  TempDir dir;
  Callbacks callbacks;
  {
    auto journal = open_journal(dir);
    ASSERT_TRUE(journal);
    for (int i = 0; i < 500; ++i) {
      ASSERT_FALSE(
          journal->write(aor_of(i), {make_binding(aor_of(i), "sip:x", kNow + 60)}, callbacks.make(i)));
    }
    journal->close();
    EXPECT_EQ(callbacks.order().size(), 500u);  // all ran before close returned
    EXPECT_EQ(callbacks.ok_count(), 500u);
    // Closed: refused, and the callback comes back to the caller untouched.
    auto refused = journal->write(aor_of(9999), {}, callbacks.make(9999));
    ASSERT_TRUE(refused);
    refused(false);
    journal->close();  // idempotent
  }
  EXPECT_EQ(read_back(dir).size(), 500u);
}

TEST(SqliteJournal, AfterPendingWaitsForEarlierWritesOnly) {
  TempDir dir;
  Callbacks callbacks;
  Gate gate;
  auto journal = open_journal(dir);
  ASSERT_TRUE(journal);
  // Nothing pending: handed back to be called at once.
  EXPECT_TRUE(journal->after_pending(callbacks.make(0)));
  ASSERT_FALSE(
      journal->write(aor_of(1), {make_binding(aor_of(1), "sip:1", kNow + 60)}, [&](bool) { gate.pass(); }));
  ASSERT_TRUE(gate.wait_entered());
  // The first write is in flight (its callback holds the writer): a barrier must wait for it.
  ASSERT_FALSE(journal->write(aor_of(2), {make_binding(aor_of(2), "sip:2", kNow + 60)}, callbacks.make(2)));
  ASSERT_FALSE(journal->after_pending(callbacks.make(3)));
  EXPECT_TRUE(callbacks.order().empty());
  gate.open();
  ASSERT_TRUE(callbacks.wait_for(2));
  EXPECT_EQ(callbacks.order(), (std::vector<int>{2, 3}));
  EXPECT_EQ(callbacks.ok_count(), 2u);
}

TEST(SqliteJournal, AFailedBatchFailsEveryCallbackInItAndWritesNothingOfIt) {
  TempDir dir;
  Callbacks callbacks;
  Gate gate;
  auto journal = open_journal(dir);
  ASSERT_TRUE(journal);
  // A trigger added behind the journal's back makes one insert fail, as a full disk would.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "osprey.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TRIGGER refuse BEFORE INSERT ON bindings WHEN NEW.contact = 'sip:fail'"
                         " BEGIN SELECT RAISE(ABORT, 'refused by test'); END",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  ASSERT_FALSE(
      journal->write(aor_of(0), {make_binding(aor_of(0), "sip:0", kNow + 60)}, [&](bool) { gate.pass(); }));
  ASSERT_TRUE(gate.wait_entered());
  ASSERT_FALSE(
      journal->write(aor_of(1), {make_binding(aor_of(1), "sip:good", kNow + 60)}, callbacks.make(1)));
  ASSERT_FALSE(
      journal->write(aor_of(2), {make_binding(aor_of(2), "sip:fail", kNow + 60)}, callbacks.make(2)));
  gate.open();
  ASSERT_TRUE(callbacks.wait_for(2));
  EXPECT_EQ(callbacks.ok_count(), 0u);
  EXPECT_NE(journal->last_error().find("osprey.db"), std::string::npos) << journal->last_error();
  EXPECT_NE(journal->last_error().find("refused by test"), std::string::npos) << journal->last_error();
  // The journal goes on: the next batch commits.
  ASSERT_FALSE(journal->write(aor_of(3), {make_binding(aor_of(3), "sip:3", kNow + 60)}, callbacks.make(3)));
  ASSERT_TRUE(callbacks.wait_for(3));
  EXPECT_EQ(callbacks.ok_count(), 1u);
  journal->close();
  const auto stored = read_back(dir);
  EXPECT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored.count(aor_of(1)), 0u);  // rolled back with the failing change
  EXPECT_EQ(stored.count(aor_of(3)), 1u);
}

TEST(SqliteJournal, KeepsEachBindingsInstanceAndRegId) {
  // RFC 5626 §6: after a restart a re-REGISTER of the same device must still find its binding.
  TempDir dir;
  Binding phone = make_binding(aor_of(1), "sip:alice@192.0.2.4:40001;transport=tcp", kNow + 3600);
  phone.instance = "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
  phone.reg_id = 2;
  Binding plain = make_binding(aor_of(1), "sip:alice@192.0.2.5", kNow + 3600);
  {
    auto journal = open_journal(dir);
    ASSERT_TRUE(journal);
    Callbacks callbacks;
    ASSERT_FALSE(journal->write(aor_of(1), {phone, plain}, callbacks.make(1)));
    ASSERT_TRUE(callbacks.wait_for(1));
    ASSERT_EQ(callbacks.ok_count(), 1u);
  }
  const auto stored = read_back(dir);
  ASSERT_EQ(stored.count(aor_of(1)), 1u);
  const auto& bindings = stored.at(aor_of(1));
  ASSERT_EQ(bindings.size(), 2u);
  EXPECT_EQ(bindings[0].instance, phone.instance);
  EXPECT_EQ(bindings[0].reg_id, 2u);
  EXPECT_EQ(bindings[1].instance, "");
  EXPECT_EQ(bindings[1].reg_id, 0u);
}

TEST(SqliteJournal, AVersionOneFileGainsTheInstanceColumnsAndKeepsItsBindings) {
  TempDir dir;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir.path() / "osprey.db").c_str(), &db), SQLITE_OK);
    // The schema of version 1, as an osprey of that version left it.
    const std::string v1 =
        "CREATE TABLE bindings (aor TEXT NOT NULL, position INTEGER NOT NULL, contact TEXT NOT NULL,"
        " q INTEGER NOT NULL, expires_at INTEGER NOT NULL, call_id TEXT NOT NULL, cseq INTEGER NOT NULL,"
        " path TEXT NOT NULL, source TEXT NOT NULL, user_agent TEXT NOT NULL, PRIMARY KEY (aor, position))"
        " WITHOUT ROWID;"
        "INSERT INTO bindings VALUES ('" +
        aor_of(1) + "', 0, 'sip:alice@192.0.2.4', 1000, " + std::to_string(kNow + 3600) +
        ", 'c1', 7, '', 'udp:192.0.2.4:5060', 'ua');"
        "PRAGMA user_version=1;";
    EXPECT_EQ(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto stored = read_back(dir);
  ASSERT_EQ(stored.count(aor_of(1)), 1u);
  ASSERT_EQ(stored.at(aor_of(1)).size(), 1u);
  EXPECT_EQ(stored.at(aor_of(1))[0].contact, "sip:alice@192.0.2.4");
  EXPECT_EQ(stored.at(aor_of(1))[0].cseq, 7u);
  EXPECT_EQ(stored.at(aor_of(1))[0].instance, "");

  // Written and read back with an instance through the upgraded file.
  Binding phone = make_binding(aor_of(1), "sip:alice@192.0.2.4", kNow + 3600);
  phone.instance = "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
  {
    auto journal = open_journal(dir);
    ASSERT_TRUE(journal);
    Callbacks callbacks;
    ASSERT_FALSE(journal->write(aor_of(1), {phone}, callbacks.make(1)));
    ASSERT_TRUE(callbacks.wait_for(1));
    ASSERT_EQ(callbacks.ok_count(), 1u);
  }
  stored = read_back(dir);
  ASSERT_EQ(stored.at(aor_of(1)).size(), 1u);
  EXPECT_EQ(stored.at(aor_of(1))[0].instance, phone.instance);
}

TEST(SqliteJournal, RefusesAFileFromANewerSchema) {
  TempDir dir;
  { ASSERT_TRUE(open_journal(dir)); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "osprey.db").c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto journal = SqliteJournal::open(dir.path());
  ASSERT_FALSE(journal);
  EXPECT_NE(journal.error().find("osprey.db"), std::string::npos) << journal.error();
  EXPECT_NE(journal.error().find("newer"), std::string::npos) << journal.error();
}

TEST(SqliteJournal, TheFileIsInWalMode) {
  TempDir dir;
  auto journal = open_journal(dir);
  ASSERT_TRUE(journal);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "osprey.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &statement, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)), "wal");  // persistent
  sqlite3_finalize(statement);
  sqlite3_close(db);
}

}  // namespace
}  // namespace osprey::store
