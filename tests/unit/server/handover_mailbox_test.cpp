#include "server/handover_mailbox.hpp"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace osprey::server {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using Clock = HandoverMailbox::Clock;
using Put = HandoverMailbox::Put;

HandoverMailbox::Letter letter(int status) {
  const std::string text = "SIP/2.0 " + std::to_string(status) +
                           " X\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKw0.1\r\nFrom: <sip:a@b>;tag=1\r\n"
                           "To: <sip:c@d>\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n";
  auto parsed = sip::Message::parse(text);
  EXPECT_TRUE(parsed);
  return {std::move(*parsed), net::Flow{}};
}

TEST(HandoverMailboxTest, AQuietOwnerIsWokenOnceAndGetsEveryLetterInOrder) {
  HandoverMailbox mailbox;
  const Clock::time_point start = Clock::now();
  mailbox.note_active(start);
  EXPECT_FALSE(mailbox.maybe_has_mail());
  // Quiet for longer than the window: the first letter asks for a wake-up, the next ones do not
  // (one is on its way).
  const Clock::time_point later = start + HandoverMailbox::kActiveWindow + microseconds(1);
  EXPECT_EQ(mailbox.put(letter(180), later), Put::wake_owner);
  EXPECT_EQ(mailbox.put(letter(200), later), Put::queued);
  EXPECT_TRUE(mailbox.maybe_has_mail());

  std::vector<HandoverMailbox::Letter> out;
  mailbox.take_all(out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].response.status(), 180);
  EXPECT_EQ(out[1].response.status(), 200);
  EXPECT_FALSE(mailbox.maybe_has_mail());

  // Once emptied, a quiet owner is woken again.
  EXPECT_EQ(mailbox.put(letter(180), later + milliseconds(5)), Put::wake_owner);
}

TEST(HandoverMailboxTest, AnOwnerActiveWithinTheWindowIsNotWoken) {
  HandoverMailbox mailbox;
  const Clock::time_point now = Clock::now();
  mailbox.note_active(now);
  EXPECT_EQ(mailbox.put(letter(200), now + HandoverMailbox::kActiveWindow / 2), Put::queued);
  EXPECT_TRUE(mailbox.maybe_has_mail());  // it waits for the owner's next message or tick
  std::vector<HandoverMailbox::Letter> out;
  mailbox.take_all(out);
  EXPECT_EQ(out.size(), 1u);
}

TEST(HandoverMailboxTest, LettersSurviveTheSendersThread) {
  HandoverMailbox mailbox;
  std::thread sender([&mailbox] {
    for (int i = 0; i < 100; ++i) (void)mailbox.put(letter(200 + i), Clock::now());
  });
  sender.join();
  std::vector<HandoverMailbox::Letter> out;
  mailbox.take_all(out);
  ASSERT_EQ(out.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(out[static_cast<std::size_t>(i)].response.status(), 200 + i);
}

TEST(HandoverMailboxTest, ForgedResponsesAimedAtOneOwnerCannotGrowItsMailboxBeyondTheCapacity) {
  // Anyone can forge the branch that names the owner: a flood of such responses is refused
  // past the capacity instead of growing without bound, and the mailbox takes letters again
  // once the owner has emptied it.
  HandoverMailbox mailbox;
  const Clock::time_point now = Clock::now();
  mailbox.note_active(now);
  const HandoverMailbox::Letter model = letter(200);
  auto copy = [&model] { return HandoverMailbox::Letter{model.response.clone(), model.flow}; };
  for (std::size_t i = 0; i < HandoverMailbox::kCapacity; ++i) {
    ASSERT_NE(mailbox.put(copy(), now), Put::full) << i;
  }
  EXPECT_EQ(mailbox.put(copy(), now), Put::full);
  EXPECT_EQ(mailbox.put(copy(), now), Put::full);
  std::vector<HandoverMailbox::Letter> out;
  mailbox.take_all(out);
  EXPECT_EQ(out.size(), HandoverMailbox::kCapacity);
  EXPECT_NE(mailbox.put(copy(), now), Put::full);
}

TEST(HandoverMailboxTest, AFloodOfLegRequestsLeavesRoomForEveryOtherHandover) {
  // Requests whose Request-URI names a B2BUA leg of the owner: anyone can write one. Past their
  // own share they are refused, and responses still get through.
  HandoverMailbox mailbox;
  const Clock::time_point now = Clock::now();
  mailbox.note_active(now);
  const HandoverMailbox::Letter model = letter(200);
  auto leg_request = [&model] {
    return HandoverMailbox::Letter{model.response.clone(), model.flow, 0, true};
  };
  auto response = [&model] { return HandoverMailbox::Letter{model.response.clone(), model.flow}; };
  for (std::size_t i = 0; i < HandoverMailbox::kLegRequestCapacity; ++i) {
    ASSERT_NE(mailbox.put(leg_request(), now), Put::full) << i;
  }
  EXPECT_EQ(mailbox.put(leg_request(), now), Put::full);
  for (std::size_t i = HandoverMailbox::kLegRequestCapacity; i < HandoverMailbox::kCapacity; ++i) {
    ASSERT_NE(mailbox.put(response(), now), Put::full) << i;
  }
  EXPECT_EQ(mailbox.put(response(), now), Put::full);
  std::vector<HandoverMailbox::Letter> out;
  mailbox.take_all(out);
  EXPECT_EQ(out.size(), HandoverMailbox::kCapacity);
  // Emptied: leg requests are taken again.
  EXPECT_NE(mailbox.put(leg_request(), now), Put::full);
}

TEST(HandoverMailboxTest, LettersAreAppendedAfterWhatTheOwnerAlreadyHolds) {
  HandoverMailbox mailbox;
  const Clock::time_point now = Clock::now();
  mailbox.note_active(now);
  (void)mailbox.put(letter(181), now);
  std::vector<HandoverMailbox::Letter> out;
  out.push_back(letter(180));
  mailbox.take_all(out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].response.status(), 180);
  EXPECT_EQ(out[1].response.status(), 181);
  EXPECT_FALSE(mailbox.maybe_has_mail());
}

}  // namespace
}  // namespace osprey::server
