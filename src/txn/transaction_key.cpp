#include "txn/transaction_key.hpp"
#include "sip/char_class.hpp"

#include <string_view>

namespace osprey::txn {

namespace {

// Each field is written as its length, ':' and its bytes, so no field content can make two
// different tuples produce the same key.
void append_field(std::string& key, std::string_view field) {
  key += std::to_string(field.size());
  key += ':';
  key += field;
}

void append_lower(std::string& key, std::string_view field) {
  key += std::to_string(field.size());
  key += ':';
  for (char c : field) key += sip::ascii_lower(c);
}

std::string make_server_key(const sip::Message& request, std::string_view method) {
  const auto& via = request.top_via();
  const auto& cseq = request.cseq();
  if (!via || !cseq) return {};
  std::string key;
  if (via->rfc3261_branch()) {
    // §17.2.3: branch, sent-by (hosts compare case-insensitively, §19.1.4; the port as written,
    // since an ACK or CANCEL carries the very Via of its INVITE) and method.
    key = "3261 ";
    append_field(key, via->branch);
    append_lower(key, via->host);
    append_field(key, via->has_port ? std::to_string(via->port) : std::string());
    append_field(key, method);
    return key;
  }
  // §17.2.3, RFC 2543 compatibility: Request-URI, To tag (not for the INVITE class, see the
  // header), From tag, Call-ID, CSeq number and method, top Via.
  key = "2543 ";
  append_field(key, request.request_uri().text);
  if (method != "INVITE") append_field(key, request.to() ? request.to()->tag() : std::string_view());
  append_field(key, request.from() ? request.from()->tag() : std::string_view());
  append_field(key, request.call_id().value_or(std::string_view()));
  append_field(key, std::to_string(cseq->number));
  append_field(key, method);
  append_field(key, via->text);
  return key;
}

}  // namespace

std::string server_key(const sip::Message& request) {
  // §17.2.3: the ACK for a 300-699 matches the INVITE it acknowledges.
  std::string_view method = request.method_text();
  if (request.method() == sip::Method::ack) method = "INVITE";
  return make_server_key(request, method);
}

std::string client_key(const sip::Message& response) {
  const auto& via = response.top_via();
  const auto& cseq = response.cseq();
  if (!via || !cseq || !via->has_branch) return {};
  return client_key(via->branch, cseq->method_text);
}

std::string client_key(std::string_view branch, std::string_view method) {
  // §17.1.3: the branch and the CSeq method; the method tells a CANCEL's responses from the
  // INVITE's, which share the branch (§9.1).
  std::string key;
  append_field(key, branch);
  append_field(key, method);
  return key;
}

std::string invite_key_for_cancel(const sip::Message& cancel) { return make_server_key(cancel, "INVITE"); }

std::optional<std::string> merge_key(const sip::Message& request) {
  const auto& to = request.to();
  const auto& from = request.from();
  const auto& cseq = request.cseq();
  if (!to || !from || !cseq || !request.call_id()) return std::nullopt;
  if (!to->tag().empty()) return std::nullopt;  // §8.2.2.2 applies to requests outside a dialog
  std::string key;
  append_field(key, from->tag());
  append_field(key, *request.call_id());
  append_field(key, std::to_string(cseq->number));
  append_field(key, cseq->method_text);
  return key;
}

}  // namespace osprey::txn
