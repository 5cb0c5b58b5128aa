#include "app/lint_report.hpp"

#include <sstream>

#include "sip/builder.hpp"
#include "sip/name_addr.hpp"
#include "sip/value_list.hpp"
#include "sip/via.hpp"

namespace osprey::app {
namespace {

using nlohmann::json;

// JSON strings must be UTF-8; SIP bytes may not be (RFC 4475 intmeth has NUL, BEL, DEL).
std::string printable(std::string_view bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    bool utf8_ok = false;
    if (c >= 0x80) {
      std::size_t len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
      if (len != 0 && i + len <= bytes.size()) {
        utf8_ok = true;
        for (std::size_t k = 1; k < len; ++k)
          if ((static_cast<unsigned char>(bytes[i + k]) >> 6) != 0x2) utf8_ok = false;
      }
      if (utf8_ok) {
        out.append(bytes.substr(i, len));
        i += len - 1;
        continue;
      }
    }
    if (c >= 0x80 || (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F) {
      constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

json describe_uri(const sip::Uri& uri) {
  json j;
  j["text"] = printable(uri.text);
  switch (uri.scheme) {
    case sip::UriScheme::sip: j["scheme"] = "sip"; break;
    case sip::UriScheme::sips: j["scheme"] = "sips"; break;
    case sip::UriScheme::tel: j["scheme"] = "tel"; break;
    case sip::UriScheme::other: j["scheme"] = printable(uri.scheme_name); break;
  }
  if (uri.has_user) j["user"] = printable(sip::unescape(uri.user));
  if (!uri.host.empty()) j["host"] = printable(uri.host);
  if (uri.has_port) j["port"] = uri.port;
  if (!uri.params.empty()) {
    json params = json::object();
    sip::for_each_param(uri.params, [&](const sip::Param& p) {
      params[printable(p.name)] = printable(p.value);
      return true;
    });
    j["params"] = params;
  }
  if (!uri.headers.empty()) j["headers"] = printable(uri.headers);
  return j;
}

json describe_name_addr(const sip::NameAddr& na) {
  json j;
  if (!na.display_name.empty()) j["display_name"] = printable(na.display_text());
  j["uri"] = describe_uri(na.uri);
  if (!na.params.empty()) {
    json params = json::object();
    sip::for_each_param(na.params, [&](const sip::Param& p) {
      params[printable(p.name)] = printable(p.value);
      return true;
    });
    j["params"] = params;
  }
  return j;
}

json describe_via(const sip::Via& via) {
  json j;
  j["protocol"] = printable(via.protocol_name) + "/" + printable(via.protocol_version);
  j["transport"] = printable(via.transport);
  j["host"] = printable(via.host);
  if (via.has_port) j["port"] = via.port;
  if (via.has_branch) j["branch"] = printable(via.branch);
  if (via.has_received) j["received"] = printable(via.received);
  if (via.has_rport) j["rport"] = printable(via.rport);
  return j;
}

// The typed fields of one header line, for the headers whose structure an operator reads most.
json describe_header(sip::HeaderId id, std::string_view value) {
  json elements = json::array();
  switch (id) {
    case sip::HeaderId::via:
      sip::for_each_list_element(value, [&](std::string_view e) {
        if (auto via = sip::parse_via(e)) elements.push_back(describe_via(*via));
        return true;
      });
      return elements;
    case sip::HeaderId::contact:
    case sip::HeaderId::route:
    case sip::HeaderId::record_route:
    case sip::HeaderId::path:
    case sip::HeaderId::p_asserted_identity:
    case sip::HeaderId::p_preferred_identity:
      sip::for_each_list_element(value, [&](std::string_view e) {
        if (e == "*") {
          elements.push_back("*");
        } else if (auto na = sip::parse_name_addr(e, sip::canonical_name(id))) {
          elements.push_back(describe_name_addr(*na));
        }
        return true;
      });
      return elements;
    case sip::HeaderId::from:
    case sip::HeaderId::to:
    case sip::HeaderId::reply_to:
    case sip::HeaderId::refer_to:
    case sip::HeaderId::referred_by:
      if (auto na = sip::parse_name_addr(value, sip::canonical_name(id))) return describe_name_addr(*na);
      return nullptr;
    default: return nullptr;
  }
}

}  // namespace

json lint_json(const sip::Assessment& a) {
  json j;
  j["valid"] = a.valid();
  j["kind"] = nullptr;
  j["method"] = nullptr;
  j["status"] = nullptr;
  j["headers"] = json::array();
  if (a.message) {
    const sip::Message& m = *a.message;
    j["kind"] = m.is_request() ? "request" : "response";
    if (m.is_request()) {
      j["method"] = printable(m.method_text());
      j["request_uri"] = describe_uri(m.request_uri());
    } else {
      j["status"] = m.status();
      j["reason"] = printable(m.reason());
    }
    j["version"] = printable(m.version());
    if (m.cseq()) j["cseq"] = {{"number", m.cseq()->number}, {"method", printable(m.cseq()->method_text)}};
    if (m.call_id()) j["call_id"] = printable(*m.call_id());
    if (m.max_forwards()) j["max_forwards"] = *m.max_forwards();
    for (const sip::HeaderField& f : m.fields()) {
      json h;
      h["name"] = printable(m.name(f));
      h["value"] = printable(m.value(f));
      if (f.id != sip::HeaderId::other) {
        h["canonical"] = sip::canonical_name(f.id);
        json typed = describe_header(f.id, m.value(f));
        if (!typed.is_null()) h["typed"] = typed;
      }
      j["headers"].push_back(h);
    }
    j["body_length"] = m.body().size();
  }
  if (a.error) {
    j["error"] = {{"reason", printable(a.error->reason)},
                  {"offset", a.error->offset},
                  {"header", a.error->header.empty() ? json(nullptr) : json(printable(a.error->header))},
                  {"category", sip::to_string(a.error->category)}};
  } else if (a.rejection && sip::is_defect(*a.rejection)) {
    j["error"] = {
        {"reason", a.rejection->reason}, {"offset", nullptr}, {"header", nullptr}, {"category", "semantic"}};
  } else {
    j["error"] = nullptr;
  }
  int status = a.server_status();
  j["server_status"] = status == 0 ? json(nullptr) : json(status);
  if (status != 0) {
    std::string reason =
        a.rejection && !a.error ? a.rejection->reason : std::string(sip::default_reason(status));
    j["server_reason"] = reason;
  }
  return j;
}

std::string lint_text(const sip::Assessment& a) {
  std::ostringstream out;
  json j = lint_json(a);
  if (a.message) {
    const sip::Message& m = *a.message;
    std::string_view raw = m.raw();
    out << printable(raw.substr(0, raw.find("\r\n"))) << "  (" << j["kind"].get<std::string>() << ")\n";
    for (const json& h : j["headers"]) {
      out << "  " << h["name"].get<std::string>() << ": " << h["value"].get<std::string>() << '\n';
      if (h.contains("typed")) out << "      " << h["typed"].dump() << '\n';
    }
    out << "  body: " << m.body().size() << " bytes\n";
  }
  if (a.valid()) {
    out << "valid";
  } else {
    out << "invalid: " << j["error"]["reason"].get<std::string>();
    if (a.error && !a.error->header.empty()) out << " (header " << a.error->header << ")";
    if (a.error) out << " at byte " << a.error->offset;
  }
  int status = a.server_status();
  if (status != 0) {
    out << "; a server answers " << status << ' ' << j["server_reason"].get<std::string>();
  } else if (a.message && a.message->is_request()) {
    out << "; a server processes it";
  } else {
    out << (a.valid() ? "" : "; a server drops it");
  }
  out << '\n';
  return out.str();
}

}  // namespace osprey::app
