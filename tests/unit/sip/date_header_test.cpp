#include "sip/date_header.hpp"

#include <gtest/gtest.h>

#include "conformance_file.hpp"
#include "sip/message.hpp"

namespace osprey::sip {
namespace {

using test_files::read_conformance_file;

TEST(DateHeader, Rfc3261Example) {
  auto d = parse_date("Sat, 13 Nov 2010 23:29:00 GMT");  // RFC 3261 §20.17
  ASSERT_TRUE(d) << d.error().reason;
  EXPECT_EQ(d->year, 2010);
  EXPECT_EQ(d->month, 11);
  EXPECT_EQ(d->day, 13);
  EXPECT_EQ(d->hour, 23);
  EXPECT_EQ(d->minute, 29);
  EXPECT_EQ(d->second, 0);
  EXPECT_EQ(d->weekday, 6);
  EXPECT_EQ(d->unix_seconds(), 1289690940);
}

TEST(DateHeader, SurroundingLwsIsAllowed) {
  auto d = parse_date("\r\n  Thu, 01 Jan 1970 00:00:00 GMT  ");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->unix_seconds(), 0);
}

TEST(DateHeader, LeapYears) {
  auto leap = parse_date("Wed, 29 Feb 2012 12:00:00 GMT");
  ASSERT_TRUE(leap);
  EXPECT_EQ(leap->unix_seconds(), 1330516800);
  EXPECT_TRUE(parse_date("Tue, 29 Feb 2000 00:00:00 GMT"));   // divisible by 400
  EXPECT_FALSE(parse_date("Thu, 29 Feb 1900 00:00:00 GMT"));  // divisible by 100 only
  EXPECT_FALSE(parse_date("Tue, 29 Feb 2011 00:00:00 GMT"));
  EXPECT_FALSE(parse_date("Thu, 31 Apr 2011 00:00:00 GMT"));
  EXPECT_TRUE(parse_date("Sun, 31 Dec 2000 23:59:59 GMT"));
}

TEST(DateHeader, WeekdayNeedNotAgreeWithTheDate) {
  auto d = parse_date("Mon, 13 Nov 2010 23:29:00 GMT");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->weekday, 1);
  EXPECT_EQ(d->unix_seconds(), 1289690940);
}

TEST(DateHeader, InvalidDatesAreRejected) {
  for (std::string_view bad : {
           "Fri, 01 Jan 2010 16:00:00 EST",    // RFC 4475 §3.1.2.12 baddate
           "Fri, 01 Jan 2010 16:00:00 UTC",    //
           "Fri, 01 Jan 2010 16:00:00 gmt",    // §20.17: case-sensitive
           "fri, 01 Jan 2010 16:00:00 GMT",    //
           "Fri, 01 JAN 2010 16:00:00 GMT",    //
           "Xyz, 01 Jan 2010 16:00:00 GMT",    //
           "Fri, 01 Foo 2010 16:00:00 GMT",    //
           "Fri 01 Jan 2010 16:00:00 GMT",     //
           "Fri,01 Jan 2010 16:00:00 GMT",     //
           "Fri, 1 Jan 2010 16:00:00 GMT",     //
           "Fri, 01 Jan 10 16:00:00 GMT",      //
           "Fri, 01 Jan 2010 16:00 GMT",       //
           "Fri, 01 Jan 2010 16:00:00",        //
           "Fri, 00 Jan 2010 16:00:00 GMT",    //
           "Fri, 32 Jan 2010 16:00:00 GMT",    //
           "Fri, 01 Jan 2010 24:00:00 GMT",    //
           "Fri, 01 Jan 2010 16:60:00 GMT",    //
           "Fri, 01 Jan 2010 16:00:60 GMT",    //
           "Fri, 01 Jan 2010 16-00-00 GMT",    //
           "Fri, 01 Jan 2010  16:00:00 GMT",   //
           "Fri, 01 Jan 2010 16:00:00 GMT x",  //
           "Fri, 0a Jan 2010 16:00:00 GMT",    //
           "Fri, 01 Jan 2010 16:00:00 GMT\r",  //
           "Friday, 01-Jan-10 16:00:00 GMT",   // RFC 850 form: not SIP
           "Fri Jan  1 16:00:00 2010",         // asctime form: not SIP
           "",                                 //
       }) {
    auto d = parse_date(bad, 11);
    ASSERT_FALSE(d) << bad;
    EXPECT_EQ(d.error().header, "Date") << bad;
    EXPECT_EQ(d.error().server_status, 400);
    EXPECT_GE(d.error().offset, 11u);
  }
}

TEST(DateHeader, ZoneErrorPointsAtTheZone) {
  auto d = parse_date("Fri, 01 Jan 2010 16:00:00 EST", 100);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().offset, 126u);
  EXPECT_EQ(d.error().reason.rfind("Malformed Date", 0), 0u);
}

TEST(DateHeader, DaysFromCivil) {
  EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
  EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
  EXPECT_EQ(days_from_civil(1, 1, 1), -719162);
  EXPECT_EQ(days_from_civil(0, 1, 1), -719528);
  EXPECT_EQ(days_from_civil(2010, 11, 13), 14926);
}

TEST(DateHeader, FormatDate) {
  EXPECT_EQ(format_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_date(1289690940), "Sat, 13 Nov 2010 23:29:00 GMT");
  EXPECT_EQ(format_date(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(format_date(-2208988800), "Mon, 01 Jan 1900 00:00:00 GMT");
  EXPECT_EQ(format_date(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
  // Outside 4DIGIT years: clamped.
  EXPECT_EQ(format_date(INT64_MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
  EXPECT_EQ(format_date(INT64_MIN), "Sat, 01 Jan 0000 00:00:00 GMT");
}

TEST(DateHeader, FormatThenParseRoundTrips) {
  for (std::int64_t t :
       {std::int64_t{0}, std::int64_t{1}, std::int64_t{86399}, std::int64_t{86400}, std::int64_t{-86401},
        std::int64_t{1129351496}, std::int64_t{4102444800}, std::int64_t{253402300799},
        std::int64_t{-62167219200}, std::int64_t{-12219292800}}) {
    std::string text = format_date(t);
    auto d = parse_date(text);
    ASSERT_TRUE(d) << text;
    EXPECT_EQ(d->unix_seconds(), t) << text;
  }
}

TEST(DateHeader, Rfc4475BaddateIsRejected) {
  auto m = Message::parse(read_conformance_file("rfc4475/invalid/baddate.sip"));
  ASSERT_TRUE(m) << "Date is parsed lazily; the message frame is fine";
  auto d = date(*m);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().header, "Date");
  EXPECT_NE(d.error().reason.find("GMT"), std::string::npos) << d.error().reason;
}

TEST(DateHeader, Rfc4475Mpart01Date) {
  auto m = Message::parse(read_conformance_file("rfc4475/valid/mpart01.sip"));
  ASSERT_TRUE(m);
  auto d = date(*m);
  ASSERT_TRUE(d) << d.error().reason;
  ASSERT_TRUE(*d);
  EXPECT_EQ((*d)->unix_seconds(), 1129351496);
  auto none = Message::parse(read_conformance_file("rfc4475/valid/esc01.sip"));
  ASSERT_TRUE(none);
  auto absent = date(*none);
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);
}

}  // namespace
}  // namespace osprey::sip
