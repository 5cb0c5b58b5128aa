#include "sip/route.hpp"

#include <gtest/gtest.h>

#include "conformance_file.hpp"
#include "sip/message.hpp"

namespace osprey::sip {
namespace {

using test_files::read_conformance_file;

using test_files::parse_message;

using test_files::request_with;

TEST(Route, Rfc3261Examples) {
  // RFC 3261 §20.34 and §20.30
  auto route =
      parse_route_list("<sip:bigbox3.site3.atlanta.com;lr>,\r\n <sip:server10.biloxi.com;lr>", "Route");
  ASSERT_TRUE(route) << route.error().reason;
  ASSERT_EQ(route->size(), 2u);
  EXPECT_EQ((*route)[0].uri.host, "bigbox3.site3.atlanta.com");
  EXPECT_EQ((*route)[1].uri.host, "server10.biloxi.com");
  EXPECT_TRUE(is_loose_route((*route)[0].uri));

  auto rr =
      parse_route_list("<sip:server10.biloxi.com;lr>, <sip:bigbox3.site3.atlanta.com;lr>", "Record-Route");
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->size(), 2u);
  EXPECT_EQ((*rr)[0].uri.host, "server10.biloxi.com");
}

TEST(Route, DisplayNameAndRrParams) {
  auto route =
      parse_route_list("\"edge\" <sip:p1.example.com;lr> ;ftag=abc;x, <sips:p2.example.com:5061>", "Route");
  ASSERT_TRUE(route) << route.error().reason;
  ASSERT_EQ(route->size(), 2u);
  EXPECT_EQ((*route)[0].display_text(), "edge");
  EXPECT_EQ(*(*route)[0].param("ftag"), "abc");
  EXPECT_EQ((*route)[1].uri.scheme, UriScheme::sips);
  EXPECT_EQ((*route)[1].uri.port, 5061);
  EXPECT_FALSE(is_loose_route((*route)[1].uri));
}

TEST(Route, NameAddrFormIsRequired) {
  for (std::string_view v : {"sip:p1.example.com;lr", "<sip:p1.example.com;lr>, sip:p2.example.com"}) {
    auto route = parse_route_list(v, "Route");
    ASSERT_FALSE(route) << v;
    EXPECT_EQ(route.error().header, "Route");
    EXPECT_EQ(route.error().reason.rfind("Malformed Route", 0), 0u) << route.error().reason;
  }
  auto path = parse_route_list("sip:p1.example.com;lr", "Path");
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().header, "Path");
}

TEST(Route, MalformedValuesAreRejected) {
  for (std::string_view v :
       {"", "  ", "<sip:a.example.com>,", ",<sip:a.example.com>", "<sip:a.example.com>,,<sip:b.example.com>",
        "<sip:a.example.com", "<sip:a.example.com>;", "<sip:a.example.com>;;lr", "\"open <sip:a.example.com>",
        "<sip:a.example.com> <sip:b>", "<sip:a.example.com>;p=\"x"}) {
    auto route = parse_route_list(v, "Record-Route", 7);
    ASSERT_FALSE(route) << v;
    EXPECT_EQ(route.error().header, "Record-Route") << v;
    EXPECT_GE(route.error().offset, 7u) << v;
  }
}

TEST(Route, LinesAreOneListInOrder) {
  auto m =
      parse_message(request_with("Route: <sip:p1.example.com;lr>\r\n"
                                 "Record-Route: <sip:rr.example.com;lr>\r\n"
                                 "Route: <sip:p2.example.com;lr>, <sip:p3.example.com>\r\n"));
  auto list = routes(m, HeaderId::route);
  ASSERT_TRUE(list) << list.error().reason;
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].uri.host, "p1.example.com");
  EXPECT_EQ((*list)[1].uri.host, "p2.example.com");
  EXPECT_EQ((*list)[2].uri.host, "p3.example.com");
  EXPECT_FALSE(is_loose_route((*list)[2].uri));
  auto rr = routes(m, HeaderId::record_route);
  ASSERT_TRUE(rr);
  ASSERT_EQ(rr->size(), 1u);
  EXPECT_EQ((*rr)[0].uri.host, "rr.example.com");
  auto none = routes(m, HeaderId::path);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(Route, PathHeader) {
  // RFC 3327 §5.2 example
  auto m =
      parse_message(request_with("Path: <sip:P3.EXAMPLEHOME.COM;lr>,<sip:P1.EXAMPLEVISITED.COM;lr>\r\n"));
  auto path = routes(m, HeaderId::path);
  ASSERT_TRUE(path) << path.error().reason;
  ASSERT_EQ(path->size(), 2u);
  EXPECT_EQ((*path)[1].uri.host, "P1.EXAMPLEVISITED.COM");
}

TEST(Route, BadLineFailsTheGatherer) {
  auto m = parse_message(request_with("Route: <sip:p1.example.com;lr>\r\nRoute: sip:p2.example.com\r\n"));
  auto list = routes(m, HeaderId::route);
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error().header, "Route");
}

TEST(Route, LooseRouteNeedsLrOnASipUri) {
  auto lr = parse_uri("sip:p.example.com;lr");
  ASSERT_TRUE(lr);
  EXPECT_TRUE(is_loose_route(*lr));
  auto lr_on = parse_uri("sip:p.example.com;LR=on");  // RFC 2543-era spelling still names a loose router
  ASSERT_TRUE(lr_on);
  EXPECT_TRUE(is_loose_route(*lr_on));
  auto strict = parse_uri("sip:p.example.com;transport=tcp");
  ASSERT_TRUE(strict);
  EXPECT_FALSE(is_loose_route(*strict));
  auto user_part = parse_uri("sip:lr@p.example.com");
  ASSERT_TRUE(user_part);
  EXPECT_FALSE(is_loose_route(*user_part));
  auto tel = parse_uri("tel:+1-201-555-0123;lr");
  ASSERT_TRUE(tel);
  EXPECT_FALSE(is_loose_route(*tel));
}

TEST(Route, Rfc4475WsinvFoldedRoute) {
  auto m = parse_message(read_conformance_file("rfc4475/valid/wsinv.sip"));
  auto list = routes(m, HeaderId::route);
  ASSERT_TRUE(list) << list.error().reason;
  ASSERT_EQ(list->size(), 1u);
  const Uri& uri = (*list)[0].uri;
  EXPECT_EQ(uri.host, "services.example.com");
  EXPECT_TRUE(is_loose_route(uri));
  EXPECT_EQ(*uri.param("unknownwith"), "value");
  EXPECT_TRUE(uri.has_param("unknown-no-value"));
}

TEST(Route, Rfc4475Inv2543StrictRecordRoute) {
  auto m = parse_message(read_conformance_file("rfc4475/valid/inv2543.sip"));
  auto rr = routes(m, HeaderId::record_route);
  ASSERT_TRUE(rr) << rr.error().reason;
  ASSERT_EQ(rr->size(), 1u);
  EXPECT_EQ(*(*rr)[0].uri.param("maddr"), "ss1.example.com");
  EXPECT_FALSE(is_loose_route((*rr)[0].uri));
}

TEST(Route, Rfc4475Mpart01Route) {
  auto m = parse_message(read_conformance_file("rfc4475/valid/mpart01.sip"));
  auto list = routes(m, HeaderId::route);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].uri.host, "127.0.0.1");
  EXPECT_EQ((*list)[0].uri.port, 5080);
}

}  // namespace
}  // namespace osprey::sip
