// ReceiveDeadline: when a stream connection's next complete message is due (RFC 3261 §18.3),
// against slow senders that trickle bytes to hold a connection.

#include "net/receive_deadline.hpp"

#include <gtest/gtest.h>

namespace osprey::net {
namespace {

using namespace std::chrono_literals;
using Clock = ReceiveDeadline::Clock;

const Clock::time_point kStart = Clock::time_point() + 1000s;

TEST(ReceiveDeadline, AnAcceptedConnectionOwesItsFirstMessageFromTheAccept) {
  ReceiveDeadline deadline(10s, 20s);
  EXPECT_EQ(deadline.due(), ReceiveDeadline::kNone);
  deadline.expect_first_message(kStart);
  EXPECT_EQ(deadline.due(), kStart + 10s);
  // A byte a second does not move it: the slow sender is closed at the first deadline.
  for (int i = 1; i < 10; ++i) {
    EXPECT_FALSE(deadline.after_read(kStart + std::chrono::seconds(i), false, true));
    EXPECT_EQ(deadline.due(), kStart + 10s);
  }
  EXPECT_EQ(deadline.reason(), "no complete message in time after connecting");
}

TEST(ReceiveDeadline, KeepAlivesDoNotPayForTheFirstMessage) {
  ReceiveDeadline deadline(10s, 20s);
  deadline.expect_first_message(kStart);
  EXPECT_FALSE(deadline.after_read(kStart + 5s, false, false));  // a CRLFCRLF ping, nothing else
  EXPECT_EQ(deadline.due(), kStart + 10s);
  EXPECT_FALSE(deadline.delivered_any());
}

TEST(ReceiveDeadline, NoDeadlineBetweenMessages) {
  ReceiveDeadline deadline(10s, 20s);
  deadline.expect_first_message(kStart);
  EXPECT_FALSE(deadline.after_read(kStart + 1s, true, false));
  EXPECT_TRUE(deadline.delivered_any());
  EXPECT_EQ(deadline.due(), ReceiveDeadline::kNone);               // the idle timeout governs now
  EXPECT_FALSE(deadline.after_read(kStart + 100s, false, false));  // keep-alives
  EXPECT_EQ(deadline.due(), ReceiveDeadline::kNone);
}

TEST(ReceiveDeadline, AMessageOnceStartedMustCompleteInTime) {
  ReceiveDeadline deadline(10s, 20s);
  deadline.expect_first_message(kStart);
  deadline.after_read(kStart + 1s, true, false);
  EXPECT_TRUE(deadline.after_read(kStart + 50s, false, true));  // the next message's first bytes
  EXPECT_EQ(deadline.due(), kStart + 70s);
  // More bytes of the same message do not extend it.
  EXPECT_FALSE(deadline.after_read(kStart + 60s, false, true));
  EXPECT_FALSE(deadline.after_read(kStart + 69s, false, true));
  EXPECT_EQ(deadline.due(), kStart + 70s);
  EXPECT_EQ(deadline.reason(), "message not complete in time");
  // Completed: no deadline again.
  EXPECT_FALSE(deadline.after_read(kStart + 69s, true, false));
  EXPECT_EQ(deadline.due(), ReceiveDeadline::kNone);
}

TEST(ReceiveDeadline, AMessageStartingInTheReadThatCompletedAnotherGetsItsOwnDeadline) {
  ReceiveDeadline deadline(10s, 20s);
  deadline.expect_first_message(kStart);
  EXPECT_TRUE(deadline.after_read(kStart + 2s, true, true));
  EXPECT_EQ(deadline.due(), kStart + 22s);
  // The next read completes it and starts a third: that one's clock starts now.
  EXPECT_TRUE(deadline.after_read(kStart + 21s, true, true));
  EXPECT_EQ(deadline.due(), kStart + 41s);
}

TEST(ReceiveDeadline, AnOutboundConnectionOwesNothingUntilAMessageStarts) {
  ReceiveDeadline deadline(10s, 20s);
  EXPECT_FALSE(deadline.after_read(kStart, false, false));
  EXPECT_EQ(deadline.due(), ReceiveDeadline::kNone);
  EXPECT_TRUE(deadline.after_read(kStart + 30s, false, true));
  EXPECT_EQ(deadline.due(), kStart + 50s);
  EXPECT_EQ(deadline.reason(), "message not complete in time");
}

}  // namespace
}  // namespace osprey::net
