#include "store/user_store.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "store/sqlite_user_store.hpp"
#include "temp_dir.hpp"

namespace osprey::store {
namespace {

using test_support::TempDir;

// Well-formed HA1 values; the store never hashes, so any lowercase hex of the right length does.
Ha1Set ha1_of(char digit) { return {std::string(32, digit), std::string(64, digit)}; }

std::unique_ptr<UserStore> open_store(const TempDir& dir) {
  auto store = open_user_store(dir.path());
  EXPECT_TRUE(store) << store.error();
  return store ? std::move(*store) : nullptr;
}

// What reload_if_changed says, as one comparable word.
std::string reload(UserStore& store) {
  const auto changed = store.reload_if_changed();
  if (!changed) return "error: " + changed.error();
  return *changed ? "changed" : "unchanged";
}

// Everything SQLite wrote: the main file and the write-ahead log, where recent commits live.
std::string file_bytes(const TempDir& dir) {
  std::string bytes;
  for (const char* name : {"users.db", "users.db-wal"}) {
    std::ifstream in(dir.path() / name, std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return bytes;
}

TEST(AccountName, CanonicalisedLikeTheRegistrar) {
  const auto name = parse_account_name("SIP:alice@Example.COM:5060;transport=tcp");
  ASSERT_TRUE(name) << name.error();
  EXPECT_EQ(name->aor, "sip:alice@example.com");
  EXPECT_EQ(name->user, "alice");
  EXPECT_EQ(name->realm, "example.com");

  const auto escaped = parse_account_name("sips:al%69ce@example.com");
  ASSERT_TRUE(escaped) << escaped.error();
  EXPECT_EQ(escaped->aor, "sip:alice@example.com");
  EXPECT_EQ(escaped->user, "alice");
}

TEST(AccountName, RefusesWhatIsNoAccount) {
  EXPECT_EQ(parse_account_name("alice@example.com").error(), "'alice@example.com': not a sip: AOR");
  EXPECT_EQ(parse_account_name("tel:+15551234").error(), "'tel:+15551234': not a sip: AOR");
  EXPECT_EQ(parse_account_name("sip:example.com").error(),
            "'sip:example.com': an AOR is user@domain (e.g. alice@example.com)");
  EXPECT_EQ(parse_account_name("sip:alice:secret@example.com").error(),
            "'sip:alice:secret@example.com': an AOR must not carry a password");
  EXPECT_FALSE(parse_account_name("sip:alice@"));
  EXPECT_FALSE(parse_account_name(""));
}

TEST(AccountName, RefusesAbsurdAors) {
  // Long AORs are refused by length, and the error quotes only their start.
  const std::string huge = "sip:" + std::string(100'000, 'a') + "@example.com";
  const auto refused = parse_account_name(huge);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "'" + huge.substr(0, 64) + "...': an AOR is at most 256 bytes (100016 given)");
  const std::string longest = "sip:" + std::string(256 - 16, 'a') + "@example.com";
  ASSERT_EQ(longest.size(), 256u);
  EXPECT_TRUE(parse_account_name(longest));
  EXPECT_FALSE(parse_account_name(longest + "m"));
  // Escaped control characters would reach the Digest user name unescaped.
  EXPECT_EQ(parse_account_name("sip:al%0D%0Aice@example.com").error(),
            "'sip:al%0D%0Aice@example.com': the user part must not contain control characters");
  EXPECT_FALSE(parse_account_name("sip:a%00@example.com"));
  // What is not a SIP URI user part or host is refused by the URI grammar.
  EXPECT_FALSE(parse_account_name("sip:al ice@example.com"));
  EXPECT_FALSE(parse_account_name("sip:alice@exa mple.com"));
}

TEST(Ha1Set, OnlyLowercaseHexOfTheRightLength) {
  EXPECT_TRUE(check_ha1_set(ha1_of('a')));
  EXPECT_FALSE(check_ha1_set({std::string(32, 'A'), std::string(64, 'a')}));
  EXPECT_FALSE(check_ha1_set({std::string(31, 'a'), std::string(64, 'a')}));
  EXPECT_FALSE(check_ha1_set({std::string(32, 'a'), std::string(32, 'a')}));
  EXPECT_EQ(check_ha1_set({"Circle of Life", std::string(64, 'a')}).error(),
            "the MD5 HA1 is not 32 lowercase hex digits");
}

TEST(SqliteUserStore, AddFindListRemove) {
  TempDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->size(), 0U);
  ASSERT_TRUE(store->add("sip:bob@example.com", ha1_of('b')));
  ASSERT_TRUE(store->add("sip:alice@Example.com", ha1_of('a')));
  EXPECT_EQ(store->size(), 2U);

  const auto alice = store->find("alice", "EXAMPLE.com");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->aor, "sip:alice@example.com");
  EXPECT_EQ(alice->user, "alice");
  EXPECT_EQ(alice->realm, "example.com");
  EXPECT_EQ(alice->ha1, ha1_of('a'));
  EXPECT_GT(alice->created_at, 1'600'000'000);
  EXPECT_FALSE(store->find("Alice", "example.com"));  // the user part is case-sensitive
  EXPECT_FALSE(store->find("alice", "example.org"));
  EXPECT_TRUE(store->has_aor("sip:alice@example.com"));
  EXPECT_FALSE(store->has_aor("sip:carol@example.com"));

  const auto listed = store->list();
  ASSERT_TRUE(listed) << listed.error();
  ASSERT_EQ(listed->size(), 2U);
  EXPECT_EQ((*listed)[0].aor, "sip:alice@example.com");
  EXPECT_EQ((*listed)[1].aor, "sip:bob@example.com");

  ASSERT_TRUE(store->remove("sip:alice@example.com"));
  EXPECT_FALSE(store->has_aor("sip:alice@example.com"));
  EXPECT_EQ(store->size(), 1U);
}

TEST(SqliteUserStore, ErrorsSayWhy) {
  TempDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add("sip:alice@example.com", ha1_of('a')));
  EXPECT_EQ(store->add("sip:alice@EXAMPLE.com:5070", ha1_of('b')).error(),
            "sip:alice@example.com: exists already");
  EXPECT_EQ(store->remove("sip:bob@example.com").error(), "sip:bob@example.com: no such user");
  EXPECT_EQ(store->set_credentials("sip:bob@example.com", ha1_of('b')).error(),
            "sip:bob@example.com: no such user");
  EXPECT_EQ(store->add("alice@example.com", ha1_of('a')).error(), "'alice@example.com': not a sip: AOR");
  EXPECT_EQ(store->add("sip:carol@example.com", {"Circle of Life", std::string(64, 'c')}).error(),
            "sip:carol@example.com: the MD5 HA1 is not 32 lowercase hex digits");
  EXPECT_EQ(store->size(), 1U);
  EXPECT_EQ(store->find("alice", "example.com")->ha1, ha1_of('a'));
  // What was refused never reached the file.
  EXPECT_EQ(file_bytes(dir).find("Circle of Life"), std::string::npos);
}

TEST(SqliteUserStore, SetCredentialsKeepsTheAccount) {
  TempDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add("sip:alice@example.com", ha1_of('a')));
  const std::int64_t created = store->find("alice", "example.com")->created_at;
  ASSERT_TRUE(store->set_credentials("sip:alice@example.com", ha1_of('c')));
  const auto alice = store->find("alice", "example.com");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->ha1, ha1_of('c'));
  EXPECT_EQ(alice->created_at, created);
}

TEST(SqliteUserStore, AccountsSurviveAReopen) {
  TempDir dir;
  {
    auto store = open_store(dir);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->add("sip:alice@example.com", ha1_of('a')));
  }
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->size(), 1U);
  EXPECT_EQ(store->find("alice", "example.com")->ha1, ha1_of('a'));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / SqliteUserStore::kFileName));
}

TEST(SqliteUserStore, ReloadPicksUpAnotherInstancesChanges) {
  TempDir dir;
  auto server = open_store(dir);
  auto tool = open_store(dir);  // as `osprey user` in another process would
  ASSERT_TRUE(server && tool);
  // Opening records the schema version, a commit of its own: the server may see it once.
  EXPECT_NE(reload(*server).substr(0, 6), "error:");
  EXPECT_EQ(reload(*server), "unchanged");
  EXPECT_EQ(reload(*server), "unchanged");

  ASSERT_TRUE(tool->add("sip:alice@example.com", ha1_of('a')));
  EXPECT_FALSE(server->has_aor("sip:alice@example.com"));  // not until the reload
  EXPECT_EQ(reload(*server), "changed");
  EXPECT_TRUE(server->has_aor("sip:alice@example.com"));
  EXPECT_EQ(reload(*server), "unchanged");

  ASSERT_TRUE(tool->set_credentials("sip:alice@example.com", ha1_of('d')));
  EXPECT_EQ(reload(*server), "changed");
  EXPECT_EQ(server->find("alice", "example.com")->ha1, ha1_of('d'));

  ASSERT_TRUE(tool->remove("sip:alice@example.com"));
  EXPECT_EQ(reload(*server), "changed");
  EXPECT_EQ(server->size(), 0U);

  // Its own changes are visible at once and are no change to reload.
  ASSERT_TRUE(server->add("sip:bob@example.com", ha1_of('b')));
  EXPECT_TRUE(server->has_aor("sip:bob@example.com"));
  EXPECT_EQ(reload(*server), "unchanged");
  EXPECT_EQ(reload(*tool), "changed");
  EXPECT_TRUE(tool->has_aor("sip:bob@example.com"));
}

TEST(SqliteUserStore, ReadersKeepTheirSnapshotDuringAReload) {
  TempDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->add("sip:alice@example.com", ha1_of('a')));
  const auto before = store->find("alice", "example.com");  // a copy: valid whatever follows
  ASSERT_TRUE(store->remove("sip:alice@example.com"));
  ASSERT_TRUE(before);
  EXPECT_EQ(before->aor, "sip:alice@example.com");
}

TEST(SqliteUserStore, AddManyAddsAndReplacesInOneGo) {
  TempDir dir;
  auto store = open_store(dir);
  auto other = open_store(dir);
  ASSERT_TRUE(store && other);
  ASSERT_TRUE(store->add("sip:alice@example.com", ha1_of('a')));
  const std::int64_t created = store->find("alice", "example.com")->created_at;
  EXPECT_NE(reload(*other).substr(0, 6), "error:");

  const std::vector<std::pair<std::string, Ha1Set>> accounts = {
      {"sip:alice@Example.com", ha1_of('c')},  // exists: new credentials
      {"sip:bob@example.com", ha1_of('b')},
      {"sip:bob@example.com", ha1_of('d')},  // twice: the last wins
  };
  const auto added = store->add_many(accounts);
  ASSERT_TRUE(added) << added.error();
  EXPECT_EQ(store->size(), 2U);
  EXPECT_EQ(store->find("alice", "example.com")->ha1, ha1_of('c'));
  EXPECT_EQ(store->find("alice", "example.com")->created_at, created);
  EXPECT_EQ(store->find("bob", "example.com")->ha1, ha1_of('d'));

  EXPECT_EQ(reload(*other), "changed");
  EXPECT_EQ(other->find("bob", "example.com")->ha1, ha1_of('d'));
}

TEST(SqliteUserStore, AddManyIsAllOrNothing) {
  TempDir dir;
  auto store = open_store(dir);
  ASSERT_TRUE(store);
  const std::vector<std::pair<std::string, Ha1Set>> accounts = {
      {"sip:alice@example.com", ha1_of('a')},
      {"sip:bob@example.com", {"Circle of Life", std::string(64, 'b')}},
      {"sip:carol@example.com", ha1_of('c')},
  };
  EXPECT_EQ(store->add_many(accounts).error(),
            "sip:bob@example.com: the MD5 HA1 is not 32 lowercase hex digits");
  const std::vector<std::pair<std::string, Ha1Set>> not_sip = {{"sip:alice@example.com", ha1_of('a')},
                                                               {"tel:+15551234", ha1_of('t')}};
  EXPECT_EQ(store->add_many(not_sip).error(), "'tel:+15551234': not a sip: AOR");
  EXPECT_EQ(store->size(), 0U);
  auto reopened = open_store(dir);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->size(), 0U);
  EXPECT_TRUE(store->add_many({}));
}

TEST(SqliteUserStore, UnusableDataDirIsAnError) {
  TempDir dir;
  const auto file = dir.write("not-a-dir", "x");
  const auto store = open_user_store(file);
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find(file.string()), std::string::npos) << store.error();
}

}  // namespace
}  // namespace osprey::store
