// Property test: random but grammatical SIP messages (RFC 3261 §25.1), generated from a seeded
// std::mt19937, parse to what was generated, serialize back to the same bytes, and re-parse to
// the same message; after a random sequence of edits, the serialized message parses to what a
// simple model of the edits predicts.
//
// The generator keeps a model of each message: the start line, the header lines (name as
// written, value without the surrounding LWS, the list elements of list lines), the body and the
// transaction key. Every failure prints the seed and the message, so it can be replayed.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "sip/header_id.hpp"
#include "sip/message.hpp"
#include "sip/validation.hpp"

namespace osprey::sip {
namespace {

struct Line {
  HeaderId id = HeaderId::other;
  std::string name;                   // as written (full or compact form, any case)
  std::string value;                  // without leading and trailing LWS
  std::vector<std::string> elements;  // list lines (Via, Route) written by the generator
  std::string tag;                    // From / To: the tag parameter, empty if none
};

struct Model {
  bool request = true;
  std::string method;
  std::string request_uri;
  int status = 0;
  std::string reason;
  std::vector<Line> lines;
  std::string body;
  std::vector<std::string> option_tags;  // in Require / Supported, for check_request
};

// The first line with this id, or nullptr.
const Line* first_line(const Model& model, HeaderId id) {
  for (const Line& l : model.lines)
    if (l.id == id) return &l;
  return nullptr;
}

std::optional<std::string> first_value(const Model& model, HeaderId id) {
  const Line* l = first_line(model, id);
  if (l == nullptr) return std::nullopt;
  return l->value;
}

// Generated Via elements write ";branch=" first and this way only, so the value can be found again.
std::string param_after(std::string_view text, std::string_view marker) {
  std::size_t at = text.find(marker);
  if (at == std::string_view::npos) return {};
  std::size_t begin = at + marker.size();
  std::size_t end = begin;
  while (end < text.size() && std::string_view(";, \t\r>").find(text[end]) == std::string_view::npos) ++end;
  return std::string(text.substr(begin, end - begin));
}

class Generator {
 public:
  explicit Generator(std::uint32_t seed) : rng_(seed) {}

  std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(N)];
  }

  std::string from_chars(std::string_view chars, std::size_t min_length, std::size_t max_length) {
    std::string out;
    std::size_t n = min_length + below(max_length - min_length + 1);
    for (std::size_t i = 0; i < n; ++i) out.push_back(chars[below(chars.size())]);
    return out;
  }

  static constexpr std::string_view kAlnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  // token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
  std::string token(std::size_t max_length = 12) {
    return from_chars("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~", 1,
                      max_length);
  }
  std::string alnum(std::size_t min_length, std::size_t max_length) {
    return from_chars(kAlnum, min_length, max_length);
  }

  // SWS/LWS where the grammar allows it: usually nothing or one space, sometimes a fold.
  std::string lws() {
    switch (below(8)) {
      case 0: return " ";
      case 1: return "  ";
      case 2: return "\t";
      case 3: return "\r\n ";
      case 4: return " \r\n\t";
      default: return " ";
    }
  }
  std::string sws() { return chance(0.7) ? std::string() : lws(); }

  std::string hostname() {
    std::string h;
    std::size_t labels = 1 + below(3);
    for (std::size_t i = 0; i < labels; ++i) {
      std::string label = alnum(1, 8);
      if (label.size() > 2 && chance(0.2)) label[1] = '-';
      h += label + ".";
    }
    // toplabel starts with ALPHA
    h += from_chars("abcdefghijklmnopqrstuvwxyz", 1, 1) + alnum(0, 5);
    return h;
  }
  std::string ipv4() {
    return std::to_string(below(256)) + "." + std::to_string(below(256)) + "." + std::to_string(below(256)) +
           "." + std::to_string(below(256));
  }
  std::string ipv6() {
    switch (below(3)) {
      case 0: return "[2001:db8::" + std::to_string(1 + below(9999)) + "]";
      case 1: return "[::ffff:" + ipv4() + "]";
      default: return "[fe80:0:0:0:200:f8ff:fe21:" + std::to_string(1000 + below(9000)) + "]";
    }
  }
  std::string host() {
    switch (below(5)) {
      case 0: return ipv4();
      case 1: return ipv6();
      default: return hostname();
    }
  }

  // %HH of a byte, or the byte itself where the component allows it unescaped.
  std::string escaped_text(std::string_view extra, std::size_t max_length) {
    std::string out;
    std::size_t n = 1 + below(max_length);
    std::string chars = std::string(kAlnum) + "-_.!~*'()" + std::string(extra);
    for (std::size_t i = 0; i < n; ++i) {
      if (chance(0.1)) {
        constexpr std::string_view kHex = "0123456789ABCDEFabcdef";
        out += "%";
        out.push_back(kHex[below(kHex.size())]);
        out.push_back(kHex[below(kHex.size())]);
      } else {
        out.push_back(chars[below(chars.size())]);
      }
    }
    return out;
  }

  // SIP-URI / SIPS-URI (§19.1.1), or a global tel URI (RFC 3966). Headers only when allowed.
  // `bare`: the URI is an addr-spec outside <> and must not hold ',', ';' or '?' (§20.10).
  std::string uri(bool allow_headers, bool allow_params = true, bool bare = false) {
    if (chance(0.08))
      return "tel:+" + from_chars("0123456789", 1, 3) + "-" + from_chars("0123456789-.", 3, 12);
    std::string u = chance(0.85) ? "sip:" : "sips:";
    if (chance(0.1)) u = chance(0.5) ? "SIP:" : "Sip:";
    if (chance(0.8)) {
      u += escaped_text(bare ? "&=+$/" : "&=+$,;?/", 10);
      if (chance(0.1)) u += ":" + escaped_text(bare ? "&=+$" : "&=+$,", 8);
      u += "@";
    }
    u += host();
    if (chance(0.3)) u += ":" + std::to_string(1 + below(65535));
    if (allow_params) {
      // RFC 3261 §19.1.1: each parameter name at most once.
      std::vector<std::string> names;
      std::size_t params = below(4);
      for (std::size_t i = 0; i < params; ++i) {
        std::string name;
        std::string value;
        switch (below(6)) {
          case 0: name = "transport", value = chance(0.5) ? "tcp" : "UDP"; break;
          case 1: name = "lr"; break;
          case 2: name = "user", value = "phone"; break;
          case 3: name = "maddr", value = ipv4(); break;
          default:
            name = escaped_text("[]/:&+$", 6);
            if (chance(0.6)) value = escaped_text("[]/:&+$", 8);
        }
        bool repeated = false;
        for (const std::string& n : names) repeated = repeated || iequals(n, name);
        if (repeated) continue;
        names.push_back(name);
        u += ";" + name;
        if (!value.empty()) u += "=" + value;
      }
    }
    if (allow_headers && chance(0.15)) {
      u += "?" + escaped_text("[]/?:+$", 6) + "=" + escaped_text("[]/?:+$", 8);
      if (chance(0.5)) u += "&" + escaped_text("[]/?:+$", 6) + "=";
    }
    return u;
  }

  // quoted-string with quoted-pairs and UTF-8 (§25.1).
  std::string quoted_string(std::size_t max_length = 16) {
    std::string out = "\"";
    std::size_t n = below(max_length + 1);
    for (std::size_t i = 0; i < n; ++i) {
      switch (below(12)) {
        case 0: out += "\\\""; break;
        case 1: out += "\\\\"; break;
        case 2: out += "\xC3\xA9"; break;      // é
        case 3: out += "\xE2\x82\xAC"; break;  // €
        case 4: out += " "; break;
        case 5: out += ",;<>:@="; break;           // separators are qdtext inside quotes
        case 6: out += "\\" + alnum(1, 1); break;  // quoted-pair of an ordinary character
        default: out += alnum(1, 3);
      }
    }
    out += "\"";
    return out;
  }

  // generic-param list: *( SEMI generic-param ), with the tag first when given.
  std::string header_params(const std::string& tag) {
    std::string out;
    if (!tag.empty()) out += sws() + ";tag=" + tag;
    std::size_t n = below(3);
    for (std::size_t i = 0; i < n; ++i) {
      out += sws() + ";" + sws();
      switch (below(5)) {
        case 0: out += "expires=" + std::to_string(below(100000)); break;
        case 1: out += "q=0." + std::to_string(below(10)); break;
        case 2: out += "x-" + token(6) + sws() + "=" + sws() + quoted_string(8); break;
        case 3: out += "+sip.instance=\"<urn:uuid:" + alnum(8, 8) + ">\""; break;
        default: out += "x-" + token(8);  // no value: not q or expires, whose grammar needs one
      }
    }
    return out;
  }

  // name-addr / addr-spec with header params (§20.10).
  std::string name_addr(const std::string& tag = {}) {
    std::string out;
    if (chance(0.75)) {
      switch (below(3)) {
        case 0: out += quoted_string() + sws(); break;
        case 1: out += token(8) + " " + token(8) + sws(); break;
        default: break;
      }
      out += "<" + uri(true) + ">";
    } else {
      // addr-spec without brackets: no URI params or headers (they would be header params).
      out += uri(false, false, true);
    }
    return out + header_params(tag);
  }

  std::string via_element(std::string* branch_out = nullptr) {
    std::string protocol = "SIP" + sws() + "/" + sws() + "2.0" + sws() + "/" + sws();
    if (chance(0.7)) protocol = "SIP/2.0/";
    static constexpr std::string_view kTransports[] = {"UDP", "TCP", "TLS", "SCTP", "WS", "WSS"};
    std::string out = protocol + std::string(kTransports[below(6)]) + lws() + host();
    if (chance(0.5)) out += sws() + ":" + sws() + std::to_string(1 + below(65535));
    std::string branch = "z9hG4bK" + alnum(4, 16);
    if (branch_out != nullptr) *branch_out = branch;
    std::vector<std::string> params{";branch=" + branch};
    if (chance(0.3)) params.push_back(";rport");
    if (chance(0.2)) params.push_back(";rport=" + std::to_string(1 + below(65535)));
    if (chance(0.2)) params.push_back(";received=" + (chance(0.5) ? ipv4() : ipv6()));
    if (chance(0.1)) params.push_back(";ttl=" + std::to_string(below(256)));
    if (chance(0.1)) params.push_back(";maddr=" + hostname());
    if (chance(0.2)) params.push_back(";x-" + token(6) + "=" + quoted_string(6));
    std::shuffle(params.begin() + 1, params.end(), rng_);
    for (const std::string& p : params) out += sws() + p;
    return out;
  }

  // Joins list elements with COMMA = SWS "," SWS.
  std::string join(const std::vector<std::string>& elements) {
    std::string out;
    for (std::size_t i = 0; i < elements.size(); ++i) {
      if (i > 0) out += sws() + "," + sws();
      out += elements[i];
    }
    return out;
  }

  // TEXT-UTF8-TRIM: no LWS at either end, LWS (folds included) inside.
  std::string text_utf8(std::size_t words) {
    std::string out;
    for (std::size_t i = 0; i < words; ++i) {
      if (i > 0) out += lws();
      switch (below(6)) {
        case 0: out += "\xC3\xBC" + alnum(1, 4); break;
        case 1: out += "<>@,;:\"/[]?={}"; break;
        default: out += token(8);
      }
    }
    return out;
  }

  // Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP / HTAB)
  std::string reason_phrase() {
    std::string out;
    std::size_t words = 1 + below(4);
    for (std::size_t i = 0; i < words; ++i) {
      if (i > 0) out += chance(0.9) ? " " : "\t";
      switch (below(5)) {
        case 0: out += "\xD0\xBD\xD0\xBE"; break;
        case 1: out += from_chars(";/?:@&=+$,-_.!~*'()%", 1, 4); break;
        default: out += alnum(1, 10);
      }
    }
    return out;
  }

  // A header name written full, compact, or in another case (§7.3.1, §7.3.3: case-insensitive).
  std::string spelled(HeaderId id) {
    std::string name(canonical_name(id));
    char compact = compact_form(id);
    if (compact != '\0' && chance(0.3))
      return std::string(1, chance(0.8) ? compact : static_cast<char>(compact - 32));
    if (chance(0.15))
      std::transform(name.begin(), name.end(), name.begin(),
                     [](char c) { return static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c); });
    if (chance(0.1))
      std::transform(name.begin(), name.end(), name.begin(),
                     [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    return name;
  }

  Line line(HeaderId id, std::string value, std::vector<std::string> elements = {}) {
    return Line{id, spelled(id), std::move(value), std::move(elements), {}};
  }

  std::string body() {
    std::string out;
    std::size_t n = chance(0.3) ? 0 : below(chance(0.1) ? 5000 : 300);
    for (std::size_t i = 0; i < n; ++i) {
      switch (below(10)) {
        case 0: out += "\r\n"; break;
        case 1: out.push_back(static_cast<char>(below(256))); break;
        default: out.push_back(kAlnum[below(kAlnum.size())]);
      }
    }
    return out;
  }

  Model message() {
    static constexpr std::string_view kMethods[] = {"INVITE",  "ACK",     "BYE",       "CANCEL", "REGISTER",
                                                    "OPTIONS", "MESSAGE", "SUBSCRIBE", "NOTIFY", "PRACK",
                                                    "UPDATE",  "REFER",   "INFO",      "PUBLISH"};
    Model m;
    m.request = chance(0.6);
    std::string cseq_method = chance(0.1) ? "X-" + alnum(1, 6) : std::string(kMethods[below(14)]);
    if (m.request) {
      m.method = cseq_method;
      m.request_uri = uri(false);
    } else {
      m.status = static_cast<int>(100 + below(600));
      if (chance(0.9)) m.reason = reason_phrase();
    }
    std::vector<Line> mandatory;
    std::size_t vias = 1 + below(3);
    for (std::size_t i = 0; i < vias; ++i) {
      std::vector<std::string> elements;
      std::size_t n = 1 + below(i == 0 ? 3 : 2);
      for (std::size_t k = 0; k < n; ++k) elements.push_back(via_element());
      mandatory.push_back(line(HeaderId::via, join(elements), elements));
    }
    std::string from_tag = alnum(4, 12);
    std::string to_tag = chance(0.5) ? alnum(4, 12) : std::string();
    mandatory.push_back(line(HeaderId::from, name_addr(from_tag)));
    mandatory.back().tag = from_tag;
    mandatory.push_back(line(HeaderId::to, name_addr(to_tag)));
    mandatory.back().tag = to_tag;
    std::string call_id = from_chars(std::string(kAlnum) + "-.!%*_+`'~()<>:\\\"/[]?{}", 1, 24);
    if (chance(0.7)) call_id += "@" + host();
    mandatory.push_back(line(HeaderId::call_id, call_id));
    mandatory.push_back(line(HeaderId::cseq, std::to_string(below(1u << 31)) + lws() + cseq_method));
    if (chance(0.8)) mandatory.push_back(line(HeaderId::max_forwards, std::to_string(below(256))));

    std::vector<Line> optional;
    // Sometimes more lines than the header index keeps inline (32), so it moves to the heap.
    std::size_t extra = below(chance(0.1) ? 48 : 12);
    for (std::size_t i = 0; i < extra; ++i) {
      Line l = optional_line(m);
      // Single-valued headers appear once (RFC 3261 §7.3.1; check_request rejects a second one).
      bool repeated = false;
      for (const Line& o : optional) repeated = repeated || (o.id == l.id && l.id != HeaderId::other);
      if (repeated && is_single_valued(l.id)) continue;
      optional.push_back(std::move(l));
    }
    m.body = body();
    if (!m.body.empty() && chance(0.8)) {
      static constexpr std::string_view kTypes[] = {"application/sdp", "text/plain;charset=\"utf-8\"",
                                                    "multipart/mixed;boundary=unique-boundary-1",
                                                    "application/pidf+xml"};
      optional.push_back(line(HeaderId::content_type, std::string(kTypes[below(4)])));
    }
    // Content-Length is optional on a datagram (the body is then the rest of it).
    if (chance(0.85)) optional.push_back(line(HeaderId::content_length, std::to_string(m.body.size())));

    // Everything but the Vias in random order; the Vias keep their relative order (the first one
    // is the top Via), placed among the others.
    std::vector<Line> all = optional;
    all.insert(all.end(), mandatory.begin() + static_cast<std::ptrdiff_t>(vias), mandatory.end());
    std::shuffle(all.begin(), all.end(), rng_);
    std::size_t at = below(std::min<std::size_t>(all.size(), 3) + 1);
    for (std::size_t i = 0; i < vias; ++i) {
      all.insert(all.begin() + static_cast<std::ptrdiff_t>(at), mandatory[i]);
      at = std::min(all.size(), at + 1 + below(3));
    }
    m.lines = std::move(all);
    return m;
  }

  Line optional_line(Model& m) {
    switch (below(18)) {
      case 0: {
        std::vector<std::string> elements;
        std::size_t n = 1 + below(3);
        for (std::size_t i = 0; i < n; ++i) {
          std::string route = uri(false);
          // Loose routing (RFC 3261 §19.1.1 lr), added once: a URI parameter never repeats.
          if (route.find(";lr") == std::string::npos) route += ";lr";
          elements.push_back("<" + route + ">" + header_params({}));
        }
        return line(chance(0.5) ? HeaderId::route : HeaderId::record_route, join(elements), elements);
      }
      case 1: {
        std::vector<std::string> elements;
        std::size_t n = 1 + below(2);
        for (std::size_t i = 0; i < n; ++i) elements.push_back(name_addr());
        return line(HeaderId::contact, join(elements), elements);
      }
      case 2: return line(HeaderId::subject, text_utf8(1 + below(5)));
      case 3:
      case 4: {
        std::vector<std::string> tags;
        std::size_t n = 1 + below(3);
        for (std::size_t i = 0; i < n; ++i)
          tags.push_back(alnum(1, 6) + (chance(0.3) ? "." + alnum(1, 4) : ""));
        m.option_tags.insert(m.option_tags.end(), tags.begin(), tags.end());
        static constexpr HeaderId kIds[] = {HeaderId::supported, HeaderId::require, HeaderId::unsupported};
        return line(kIds[below(3)], join(tags), tags);
      }
      case 5: return line(HeaderId::allow, join({"INVITE", "ACK", "CANCEL", "OPTIONS", "BYE"}));
      case 6:
        return line(HeaderId::user_agent,
                    "osprey/" + std::to_string(below(10)) + ".1 (" + text_utf8(2) + ")");
      case 7: return line(HeaderId::expires, std::to_string(below(100000)));
      case 8: return line(HeaderId::accept, "application/sdp" + sws() + "," + sws() + "text/plain;q=0.5");
      case 9: return line(HeaderId::date, "Sat, 13 Nov 2010 23:29:00 GMT");
      case 10:
        return line(HeaderId::authorization,
                    "Digest username=" + quoted_string(8) + "," + sws() + "realm=\"" + hostname() +
                        "\", nonce=\"" + alnum(8, 32) + "\", uri=\"" + uri(false) +
                        "\", response=\"0123456789abcdef0123456789abcdef\", algorithm=MD5, cnonce=\"" +
                        alnum(4, 12) + "\", qop=auth, nc=00000001");
      case 11:
        return line(chance(0.5) ? HeaderId::www_authenticate : HeaderId::proxy_authenticate,
                    "Digest realm=\"" + hostname() + "\", nonce=\"" + alnum(8, 32) +
                        "\", qop=\"auth,auth-int\", algorithm=MD5, stale=FALSE");
      case 12: return line(HeaderId::timestamp, std::to_string(below(100)) + "." + std::to_string(below(10)));
      case 13: return line(HeaderId::event, "presence;id=" + token(6));
      case 14: return line(HeaderId::organization, text_utf8(1 + below(3)));
      case 15: return line(HeaderId::warning, "399 " + hostname() + " " + quoted_string(10));
      default: {
        // An extension header: any token name, TEXT value, kept byte-exact.
        std::string name = "X-" + token(10);
        return Line{lookup_header(name), name, text_utf8(1 + below(4)), {}, {}};
      }
    }
  }

  // The whole message; the separator after each name is any HCOLON (§25.1) and the value may
  // start on a folded line.
  std::string render(const Model& m) {
    std::string out;
    if (chance(0.05)) out += "\r\n";  // §7.5: CRLFs before the start line are ignored
    if (m.request) {
      out += m.method + " " + m.request_uri + " SIP/2.0\r\n";
    } else {
      std::string code = std::to_string(m.status);
      out += "SIP/2.0 " + code + " " + m.reason + "\r\n";
    }
    for (const Line& l : m.lines) {
      static constexpr std::string_view kColons[] = {": ", ":", " : ", ":\t", "\t:  ", ":\r\n "};
      out += l.name + std::string(kColons[below(6)]) + l.value + "\r\n";
    }
    out += "\r\n";
    out += m.body;
    return out;
  }

  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

std::string printable(std::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n\n";
    } else if (u < 0x20 || u >= 0x7F) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// The header lines a serialized message must hold: after an edit, exactly one Content-Length,
// with the body's size, where the first one was or appended at the end (Message::serialize_to).
std::vector<Line> expected_lines(const Model& model, bool edited) {
  if (!edited) return model.lines;
  std::vector<Line> out;
  bool wrote_length = false;
  for (const Line& l : model.lines) {
    if (l.id != HeaderId::content_length) {
      out.push_back(l);
      continue;
    }
    if (wrote_length) continue;
    wrote_length = true;
    Line length = l;
    if (length.value != std::to_string(model.body.size())) length.value = std::to_string(model.body.size());
    out.push_back(length);
  }
  if (!wrote_length) {
    out.push_back(
        Line{HeaderId::content_length, "Content-Length", std::to_string(model.body.size()), {}, {}});
  }
  return out;
}

// Checks that `m` is what `model` describes: start line, header lines in order, body and the
// eagerly parsed transaction key. Returns a description of the first difference, empty if none.
std::string compare(const Message& m, const Model& model, bool edited) {
  if (m.is_request() != model.request) return "request/response differs";
  if (model.request) {
    if (m.method_text() != model.method) return "method differs: " + std::string(m.method_text());
    if (m.request_uri().text != model.request_uri)
      return "Request-URI differs: " + std::string(m.request_uri().text);
  } else {
    if (m.status() != model.status) return "status differs: " + std::to_string(m.status());
    if (m.reason() != model.reason) return "reason differs: " + std::string(m.reason());
  }
  if (m.version() != "SIP/2.0") return "version differs";
  std::vector<Line> lines = expected_lines(model, edited);
  std::size_t i = 0;
  for (const HeaderField& f : m.fields()) {
    if (f.removed()) continue;
    if (i >= lines.size()) return "extra header line: " + std::string(m.name(f));
    if (m.name(f) != lines[i].name)
      return "header name #" + std::to_string(i) + ": " + std::string(m.name(f)) + " != " + lines[i].name;
    if (m.value(f) != lines[i].value) {
      return "header value #" + std::to_string(i) + " (" + lines[i].name + "): [" + printable(m.value(f)) +
             "] != [" + printable(lines[i].value) + "]";
    }
    if (f.id != lines[i].id) return "header id #" + std::to_string(i) + " differs for " + lines[i].name;
    ++i;
  }
  if (i != lines.size()) return "missing header lines from #" + std::to_string(i);
  if (m.body() != model.body) return "body differs";

  // The transaction key: the first line of each header.
  std::optional<std::string> via = first_value(model, HeaderId::via);
  if (via.has_value() != m.top_via().has_value()) return "top Via presence differs";
  if (via) {
    std::string top_element = via->substr(0, via->find(','));
    if (m.top_via()->branch != param_after(top_element, ";branch=")) return "top Via branch differs";
  }
  std::optional<std::string> cseq = first_value(model, HeaderId::cseq);
  if (cseq.has_value() != m.cseq().has_value()) return "CSeq presence differs";
  if (cseq) {
    std::size_t digits = cseq->find_first_not_of("0123456789");
    if (std::to_string(m.cseq()->number) != cseq->substr(0, digits)) return "CSeq number differs";
    std::size_t method = cseq->find_last_of(" \t");
    if (m.cseq()->method_text != cseq->substr(method + 1)) return "CSeq method differs";
  }
  std::optional<std::string> call_id = first_value(model, HeaderId::call_id);
  if (call_id != (m.call_id() ? std::optional<std::string>(std::string(*m.call_id())) : std::nullopt)) {
    return "Call-ID differs";
  }
  for (HeaderId id : {HeaderId::from, HeaderId::to}) {
    std::optional<std::string> na = first_value(model, id);
    const std::optional<NameAddr>& parsed = id == HeaderId::from ? m.from() : m.to();
    if (na.has_value() != parsed.has_value()) return std::string(canonical_name(id)) + " presence differs";
    if (na && parsed->tag() != first_line(model, id)->tag)
      return std::string(canonical_name(id)) + " tag differs";
  }
  std::optional<std::string> max_forwards = first_value(model, HeaderId::max_forwards);
  if (max_forwards.has_value() != m.max_forwards().has_value()) return "Max-Forwards presence differs";
  if (max_forwards && std::to_string(*m.max_forwards()) != *max_forwards) return "Max-Forwards differs";
  bool has_length = edited || first_value(model, HeaderId::content_length).has_value();
  if (has_length != m.content_length().has_value()) return "Content-Length presence differs";
  if (has_length && *m.content_length() != model.body.size()) return "Content-Length differs";
  return {};
}

// Applies one random edit to both the message and the model. Returns false if it changed nothing.
bool random_edit(Generator& gen, Message& m, Model& model, std::string& log) {
  auto index_of_first = [&](HeaderId id) {
    for (std::size_t i = 0; i < model.lines.size(); ++i)
      if (model.lines[i].id == id) return i;
    return model.lines.size();
  };
  auto remove_all = [&](HeaderId id) {
    std::size_t before = model.lines.size();
    std::erase_if(model.lines, [&](const Line& l) { return l.id == id; });
    return before != model.lines.size();
  };
  auto replace = [&](HeaderId id, const std::string& value) {
    std::size_t index = index_of_first(id);
    remove_all(id);
    model.lines.insert(model.lines.begin() + static_cast<std::ptrdiff_t>(index),
                       Line{id, std::string(canonical_name(id)), value, {}, {}});
  };
  switch (gen.below(8)) {
    case 0: {
      // RFC 3261 §16.6 step 8: the proxy's Via on top.
      std::string via = gen.via_element();
      log += "prepend_via(" + via + ")\n";
      m.prepend_via(via);
      std::size_t index = index_of_first(HeaderId::via);
      if (index == model.lines.size()) index = 0;
      model.lines.insert(model.lines.begin() + static_cast<std::ptrdiff_t>(index),
                         Line{HeaderId::via, "Via", via, {via}, {}});
      return true;
    }
    case 1:
    case 2: {
      // §16.4 / §16.7 step 3: remove the first Route, or the top Via of a response.
      HeaderId id = gen.chance(0.5) ? HeaderId::route : HeaderId::via;
      log += "remove_first_element(" + std::string(canonical_name(id)) + ")\n";
      std::optional<std::string> removed = m.remove_first_element(id);
      std::size_t index = index_of_first(id);
      if (index == model.lines.size()) {
        EXPECT_FALSE(removed);
        return false;
      }
      Line& l = model.lines[index];
      EXPECT_TRUE(removed);
      if (!l.elements.empty()) {
        EXPECT_EQ(removed.value_or(""), l.elements.front());
      }
      if (l.elements.size() > 1) {
        std::vector<std::string> rest(l.elements.begin() + 1, l.elements.end());
        std::string value;
        for (const std::string& e : rest) value += (value.empty() ? "" : ", ") + e;
        l.value = value;
        l.elements = rest;
      } else {
        model.lines.erase(model.lines.begin() + static_cast<std::ptrdiff_t>(index));
      }
      return true;
    }
    case 3: {
      static constexpr HeaderId kIds[] = {HeaderId::contact,      HeaderId::route,          HeaderId::subject,
                                          HeaderId::supported,    HeaderId::content_length, HeaderId::via,
                                          HeaderId::max_forwards, HeaderId::authorization};
      HeaderId id = gen.pick(kIds);
      log += "remove_headers(" + std::string(canonical_name(id)) + ")\n";
      std::size_t n = m.remove_headers(id);
      std::size_t before = model.lines.size();
      remove_all(id);
      EXPECT_EQ(n, before - model.lines.size());
      return n != 0;
    }
    case 4: {
      std::string body = gen.body();
      std::string type = gen.chance(0.5) ? "text/plain" : "";
      log += "set_body(" + std::to_string(body.size()) + " bytes, '" + type + "')\n";
      m.set_body(body, type);
      model.body = body;
      if (!type.empty()) replace(HeaderId::content_type, type);
      return true;
    }
    case 5: {
      std::string name = "X-" + gen.token(8);
      std::string value = gen.text_utf8(1 + gen.below(3));
      log += "add_header(" + name + ")\n";
      m.add_header(name, value);
      model.lines.push_back(Line{lookup_header(name), name, value, {}, {}});
      return true;
    }
    case 6: {
      // New values for the transaction key, as a B2BUA rewrites them.
      std::string tag = gen.alnum(4, 10);
      std::pair<HeaderId, std::string> choices[] = {
          {HeaderId::from, gen.name_addr(tag)},
          {HeaderId::to, gen.name_addr(tag)},
          {HeaderId::cseq, std::to_string(gen.below(1000)) + " " + (model.request ? model.method : "INVITE")},
          {HeaderId::call_id, gen.alnum(8, 20) + "@" + gen.hostname()},
          {HeaderId::max_forwards, std::to_string(gen.below(256))},
          {HeaderId::subject, gen.text_utf8(2)},
          {HeaderId::content_length, "0"}};
      auto& [id, value] = choices[gen.below(7)];
      log += "replace_header(" + std::string(canonical_name(id)) + ", " + value + ")\n";
      m.replace_header(id, value);
      replace(id, value);
      if (id == HeaderId::from || id == HeaderId::to) model.lines[index_of_first(id)].tag = tag;
      return true;
    }
    default: {
      if (!model.request) return false;
      std::string u = gen.uri(false);
      log += "set_request_uri(" + u + ")\n";
      m.set_request_uri(u);
      model.request_uri = u;
      return true;
    }
  }
}

constexpr std::uint32_t kMessages = 3000;

TEST(RoundTrip, GeneratedMessagesParseToTheModelAndSerializeByteExact) {
  for (std::uint32_t seed = 1; seed <= kMessages; ++seed) {
    Generator gen(seed);
    Model model = gen.message();
    std::string text = gen.render(model);
    auto m = Message::parse_borrowed(text);
    ASSERT_TRUE(m) << "seed " << seed << ": " << m.error().reason << " at " << m.error().offset << "\n"
                   << printable(text);
    std::string diff = compare(*m, model, false);
    ASSERT_EQ(diff, "") << "seed " << seed << "\n" << printable(text);
    // Unedited: byte-exact, from the start line on (leading CRLFs are not part of the message).
    std::string out = m->serialize();
    ASSERT_EQ(out, text.substr(text.find_first_not_of("\r\n"))) << "seed " << seed;
    auto again = Message::parse_borrowed(out);
    ASSERT_TRUE(again) << "seed " << seed << ": " << again.error().reason;
    ASSERT_EQ(compare(*again, model, false), "") << "seed " << seed;
    // On a stream, Content-Length frames the message (RFC 3261 §18.3).
    if (first_value(model, HeaderId::content_length)) {
      auto streamed = Message::parse_borrowed(out, ParseOptions{.stream = true});
      ASSERT_TRUE(streamed) << "seed " << seed << ": " << streamed.error().reason;
      ASSERT_EQ(compare(*streamed, model, false), "") << "seed " << seed;
    }
    // A clone is an independent, equal message: nothing of it still reads the original bytes.
    Message copy = m->clone();
    std::fill(text.begin(), text.end(), '#');
    ASSERT_EQ(compare(copy, model, false), "") << "seed " << seed;
  }
}

TEST(RoundTrip, EditedMessagesSerializeToWhatTheModelPredicts) {
  for (std::uint32_t seed = 1; seed <= kMessages; ++seed) {
    Generator gen(seed * 7919u);
    Model model = gen.message();
    std::string text = gen.render(model);
    auto m = Message::parse_borrowed(text);
    ASSERT_TRUE(m) << "seed " << seed << ": " << m.error().reason << "\n" << printable(text);
    std::string log;
    bool changed = false;
    std::size_t edits = 1 + gen.below(6);
    for (std::size_t i = 0; i < edits; ++i) changed = random_edit(gen, *m, model, log) || changed;
    ASSERT_EQ(m->edited(), changed) << "seed " << seed << "\n" << log;
    std::string out = m->serialize();
    auto again = Message::parse_borrowed(out);
    ASSERT_TRUE(again) << "seed " << seed << ": " << again.error().reason << "\nedits:\n"
                       << log << "\n"
                       << printable(out);
    ASSERT_EQ(compare(*again, model, changed), "") << "seed " << seed << "\nedits:\n"
                                                   << log << "\n"
                                                   << printable(out);
    // The edited message, cloned, serializes identically; re-serializing the re-parse is byte-exact.
    ASSERT_EQ(m->clone().serialize(), out) << "seed " << seed;
    ASSERT_EQ(again->serialize(), out) << "seed " << seed;
    if (changed) {
      auto streamed = Message::parse_borrowed(out, ParseOptions{.stream = true});
      ASSERT_TRUE(streamed) << "seed " << seed << ": " << streamed.error().reason;
    }
  }
}

TEST(RoundTrip, GeneratedMessagesPassValidation) {
  // Every value is built from the grammar, so every typed header parser must accept it and a
  // request that implements its own option tags has nothing to reject.
  for (std::uint32_t seed = 1; seed <= kMessages; ++seed) {
    Generator gen(seed * 104729u);
    Model model = gen.message();
    std::string text = gen.render(model);
    auto m = Message::parse_borrowed(text);
    ASSERT_TRUE(m) << "seed " << seed << ": " << m.error().reason << "\n" << printable(text);
    auto valid = validate_headers(*m);
    ASSERT_TRUE(valid) << "seed " << seed << ": " << valid.error().reason << " (" << valid.error().header
                       << ")\n"
                       << printable(text);
    if (m->is_request()) {
      RequestCheckOptions options;
      options.role = Role::uas;
      options.supported = model.option_tags;
      auto rejection = check_request(*m, options);
      EXPECT_FALSE(rejection) << "seed " << seed << ": " << rejection->status << " " << rejection->reason
                              << "\n"
                              << printable(text);
    }
  }
}

TEST(RoundTrip, TheCompareFunctionSeesDifferences) {
  // The properties above are only as good as compare(): a changed value must be reported.
  Generator gen(42);
  Model model = gen.message();
  std::string text = gen.render(model);
  auto m = Message::parse_borrowed(text);
  ASSERT_TRUE(m);
  ASSERT_EQ(compare(*m, model, false), "");
  Model other = model;
  other.lines.back().value += "x";
  EXPECT_NE(compare(*m, other, false), "");
  other = model;
  other.body += "x";
  EXPECT_NE(compare(*m, other, false), "");
  other = model;
  std::swap(other.lines.front(), other.lines.back());
  EXPECT_NE(compare(*m, other, false), "");
}

}  // namespace
}  // namespace osprey::sip
