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
  EXPECT_TRUE(mailbox.put(letter(180), later));
  EXPECT_FALSE(mailbox.put(letter(200), later));
  EXPECT_TRUE(mailbox.maybe_has_mail());

  std::vector<HandoverMailbox::Letter> out;
  mailbox.take_all(out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].response.status(), 180);
  EXPECT_EQ(out[1].response.status(), 200);
  EXPECT_FALSE(mailbox.maybe_has_mail());

  // Once emptied, a quiet owner is woken again.
  EXPECT_TRUE(mailbox.put(letter(180), later + milliseconds(5)));
}

TEST(HandoverMailboxTest, AnOwnerActiveWithinTheWindowIsNotWoken) {
  HandoverMailbox mailbox;
  const Clock::time_point now = Clock::now();
  mailbox.note_active(now);
  EXPECT_FALSE(mailbox.put(letter(200), now + HandoverMailbox::kActiveWindow / 2));
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

}  // namespace
}  // namespace osprey::server
