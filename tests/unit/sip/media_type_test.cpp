#include "sip/media_type.hpp"

#include <gtest/gtest.h>

#include "conformance_file.hpp"
#include "sip/message.hpp"

namespace osprey::sip {
namespace {

using test_files::read_conformance_file;

using test_files::parse_message;

using test_files::request_with;

TEST(MediaType, Rfc3261Examples) {
  auto sdp = parse_content_type("application/sdp");  // §20.15
  ASSERT_TRUE(sdp);
  EXPECT_EQ(sdp->type, "application");
  EXPECT_EQ(sdp->subtype, "sdp");
  EXPECT_TRUE(sdp->params.empty());
  EXPECT_TRUE(sdp->is("Application", "SDP"));
  auto html = parse_content_type("text/html; charset=ISO-8859-4");
  ASSERT_TRUE(html);
  EXPECT_EQ(html->subtype, "html");
  EXPECT_EQ(*html->param("charset"), "ISO-8859-4");
  EXPECT_EQ(*html->param("CHARSET"), "ISO-8859-4");
  EXPECT_EQ(html->params, "; charset=ISO-8859-4");
  EXPECT_FALSE(html->param("level"));
}

TEST(MediaType, LwsAroundSlashAndQuotedValues) {
  auto t = parse_content_type("text /\r\n plain ;charset = \"utf-8\" ; format=flowed");
  ASSERT_TRUE(t) << t.error().reason;
  EXPECT_EQ(t->type, "text");
  EXPECT_EQ(t->subtype, "plain");
  EXPECT_EQ(*t->param("charset"), "\"utf-8\"");
  EXPECT_EQ(*t->param_text("charset"), "utf-8");
  EXPECT_EQ(*t->param_text("format"), "flowed");
  auto escaped = parse_content_type("multipart/mixed;boundary=\"a \\\"b\\\" c\"");
  ASSERT_TRUE(escaped);
  EXPECT_EQ(*escaped->param_text("boundary"), "a \"b\" c");
}

TEST(MediaType, MalformedContentTypes) {
  for (std::string_view bad :
       {"", "text", "text/", "/plain", "text/html;", "text/html;charset",
        "text/html;charset=", "text/html;charset=\"open", "text/html;charset=a/b", "text/html; =x",
        "application/sdp, text/plain", "text/html extra", "text/html;;charset=x", "te xt/html"}) {
    auto t = parse_content_type(bad, 3);
    ASSERT_FALSE(t) << bad;
    EXPECT_EQ(t.error().header, "Content-Type") << bad;
    EXPECT_GE(t.error().offset, 3u);
    EXPECT_EQ(t.error().reason.rfind("Malformed Content-Type", 0), 0u) << t.error().reason;
  }
}

TEST(MediaType, ContentTypeFromMessageCompactForm) {
  auto m = parse_message(request_with("c: text/plain;charset=UTF-8\r\n"));
  auto t = content_type(m);
  ASSERT_TRUE(t);
  ASSERT_TRUE(*t);
  EXPECT_EQ((*t)->subtype, "plain");
  EXPECT_EQ(*(*t)->param("charset"), "UTF-8");
  auto twice = parse_message(request_with("Content-Type: text/plain\r\nc: text/html\r\n"));
  auto dup = content_type(twice);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().category, ErrorCategory::duplicate_header);
}

TEST(MediaType, Rfc4475Mpart01MultipartBoundary) {
  auto m = parse_message(read_conformance_file("rfc4475/valid/mpart01.sip"));
  auto t = content_type(m);
  ASSERT_TRUE(t) << t.error().reason;
  ASSERT_TRUE(*t);
  EXPECT_TRUE((*t)->is("multipart", "mixed"));
  EXPECT_EQ(*(*t)->param("boundary"), "7a9cbec02ceef655");
}

TEST(MediaType, Rfc4475Esc01CompactContentType) {
  auto m = parse_message(read_conformance_file("rfc4475/valid/esc01.sip"));
  auto t = content_type(m);
  ASSERT_TRUE(t);
  EXPECT_TRUE((*t)->is("application", "sdp"));
}

TEST(MediaType, AcceptRfc3261Example) {
  // RFC 3261 §20.1
  auto list = parse_accept("application/sdp;level=1, application/x-private, text/html");
  ASSERT_TRUE(list) << list.error().reason;
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].subtype, "sdp");
  EXPECT_EQ((*list)[0].params, ";level=1");
  EXPECT_FALSE((*list)[0].q);
  EXPECT_EQ((*list)[1].subtype, "x-private");
  EXPECT_EQ((*list)[2].type, "text");
}

TEST(MediaType, AcceptWildcardsAndQ) {
  auto list = parse_accept("*/*;q=0.1, text/*;q=0.5, text/plain;charset=utf-8;q=1");
  ASSERT_TRUE(list) << list.error().reason;
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].q, 100);
  EXPECT_EQ((*list)[1].q, 500);
  EXPECT_EQ((*list)[2].q, 1000);
  auto plain = parse_content_type("text/plain");
  auto sdp = parse_content_type("application/sdp");
  ASSERT_TRUE(plain && sdp);
  EXPECT_TRUE((*list)[0].matches(*sdp));
  EXPECT_TRUE((*list)[1].matches(*plain));
  EXPECT_FALSE((*list)[1].matches(*sdp));
  EXPECT_TRUE((*list)[2].matches(*plain));
  EXPECT_FALSE((*list)[2].matches(*sdp));
}

TEST(MediaType, AcceptEmptyIsAnEmptyListButAbsentIsNone) {
  auto empty = parse_accept("");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  auto none = parse_message(request_with(""));
  auto absent = accept_ranges(none);
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);
  auto blank = parse_message(request_with("Accept:\r\n"));
  auto nothing = accept_ranges(blank);
  ASSERT_TRUE(nothing);
  ASSERT_TRUE(*nothing);
  EXPECT_TRUE((*nothing)->empty());
}

TEST(MediaType, MalformedAccept) {
  for (std::string_view bad : {"text", "text/html,", "text/html,,text/plain", "*/*;q=2",
                               "text/*;q=", "text/html;", "text/html q=1", "text/html;q=\"0.5\"", "/html"}) {
    auto list = parse_accept(bad);
    ASSERT_FALSE(list) << bad;
    EXPECT_EQ(list.error().header, "Accept") << bad;
  }
}

TEST(MediaType, Rfc4475SemiuriFoldedAccept) {
  auto m = parse_message(read_conformance_file("rfc4475/valid/semiuri.sip"));
  auto list = accept_ranges(m);
  ASSERT_TRUE(list) << list.error().reason;
  ASSERT_TRUE(*list);
  ASSERT_EQ((*list)->size(), 6u);
  EXPECT_EQ((**list)[1].subtype, "pkcs7-mime");
  EXPECT_EQ((**list)[5].type, "message");
  EXPECT_EQ((**list)[5].subtype, "sipfrag");
}

TEST(MediaType, ContentDisposition) {
  auto session = parse_content_disposition("session");  // RFC 3261 §20.11
  ASSERT_TRUE(session);
  EXPECT_EQ(session->type, "session");
  EXPECT_TRUE(session->handling.empty());
  EXPECT_EQ(session->handling_kind, DispositionHandling::required);  // the default
  auto optional = parse_content_disposition("render ;\r\n handling = OPTIONAL;x=y");
  ASSERT_TRUE(optional) << optional.error().reason;
  EXPECT_EQ(optional->type, "render");
  EXPECT_EQ(optional->handling, "OPTIONAL");
  EXPECT_EQ(optional->handling_kind, DispositionHandling::optional);
  auto required = parse_content_disposition("icon;handling=required");
  ASSERT_TRUE(required);
  EXPECT_EQ(required->handling_kind, DispositionHandling::required);
  auto other = parse_content_disposition("alert;handling=sometimes");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->handling_kind, DispositionHandling::other);
  for (std::string_view bad : {"", ";handling=optional", "session;", "session;handling", "session;handling=",
                               "session;handling=\"optional\"", "session handling", "session/x"}) {
    auto d = parse_content_disposition(bad);
    ASSERT_FALSE(d) << bad;
    EXPECT_EQ(d.error().header, "Content-Disposition") << bad;
  }
  auto m = parse_message(request_with("Content-Disposition: session;handling=optional\r\n"));
  auto from_message = content_disposition(m);
  ASSERT_TRUE(from_message);
  EXPECT_EQ((*from_message)->handling_kind, DispositionHandling::optional);
}

}  // namespace
}  // namespace osprey::sip
