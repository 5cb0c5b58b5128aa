// Editing a parsed Message (RFC 3261 §16.6: a proxy adds its Via, pops a Route, rewrites the
// Request-URI) and writing it out again. The edits sit in an arena beside the original bytes;
// serialize() copies untouched lines byte-exact and recomputes Content-Length.
#include "sip/message.hpp"

#include <cstdint>
#include <string>

#include "sip/char_class.hpp"
#include "sip/scanner.hpp"

namespace osprey::sip {

std::uint8_t Message::eager_field(HeaderId id) {
  switch (id) {
    case HeaderId::via: return kTopViaField;
    case HeaderId::cseq: return kCSeqField;
    case HeaderId::call_id: return kCallIdField;
    case HeaderId::from: return kFromField;
    case HeaderId::to: return kToField;
    case HeaderId::max_forwards: return kMaxForwardsField;
    case HeaderId::content_length: return kContentLengthField;
    default: return 0;
  }
}

std::size_t Message::first_index(HeaderId id) const {
  for (std::size_t i = 0; i < fields_.size(); ++i)
    if (fields_[i].id == id && !fields_[i].removed()) return i;
  return fields_.size();
}

void Message::insert_line(std::size_t index, std::string_view header_name, std::string_view header_value) {
  HeaderField f;
  f.line_begin = static_cast<std::uint32_t>(arena_.size());
  arena_.append(header_name);
  arena_.append(": ");
  f.value_begin = static_cast<std::uint32_t>(arena_.size());
  arena_.append(header_value);
  f.value_end = static_cast<std::uint32_t>(arena_.size());
  arena_.append("\r\n");
  f.line_end = static_cast<std::uint32_t>(arena_.size());
  f.name_length = static_cast<std::uint16_t>(header_name.size());
  f.id = lookup_header(header_name);
  f.flags = HeaderField::kInArena;
  // A line inserted before the first one with its id becomes the one the eager field reads.
  if (const std::uint8_t field = eager_field(f.id); field != 0 && index <= first_index(f.id)) stale_ |= field;
  fields_.insert(index, f);
  edited_ = true;
}

void Message::add_header(std::string_view header_name, std::string_view header_value) {
  insert_line(fields_.size(), header_name, header_value);
}

void Message::prepend_header(HeaderId id, std::string_view header_value) {
  std::size_t index = first_index(id);
  if (index == fields_.size()) index = 0;
  insert_line(index, canonical_name(id), header_value);
}

std::size_t Message::remove_headers(HeaderId id) {
  std::size_t n = 0;
  for (HeaderField& f : fields_) {
    if (f.id == id && !f.removed()) {
      f.flags |= HeaderField::kRemoved;
      ++n;
    }
  }
  if (n != 0) {
    edited_ = true;
    stale_ |= eager_field(id);
  }
  return n;
}

std::size_t Message::remove_headers(std::string_view header_name) {
  HeaderId id = lookup_header(header_name);
  if (id != HeaderId::other) return remove_headers(id);
  std::size_t n = 0;
  for (HeaderField& f : fields_) {
    if (f.id == HeaderId::other && !f.removed() && iequals(name(f), header_name)) {
      f.flags |= HeaderField::kRemoved;
      ++n;
    }
  }
  if (n != 0) edited_ = true;
  return n;
}

void Message::replace_header(HeaderId id, std::string_view header_value) {
  std::size_t index = first_index(id);
  remove_headers(id);
  insert_line(index, canonical_name(id), header_value);
}

std::optional<std::string> Message::remove_first_element(HeaderId id) {
  std::size_t index = first_index(id);
  if (index == fields_.size()) return std::nullopt;
  std::string_view line_value = value(fields_[index]);
  std::string_view first;
  std::size_t elements = 0;
  std::string rest;
  for_each_list_element(line_value, [&](std::string_view element) {
    if (elements++ == 0) {
      first = element;
    } else if (!element.empty()) {
      if (!rest.empty()) rest.append(", ");
      rest.append(element);
    }
    return true;
  });
  std::string removed(first);
  // Keep the original spelling of the name for the rewritten remainder.
  std::string header_name(name(fields_[index]));
  fields_[index].flags |= HeaderField::kRemoved;
  edited_ = true;
  stale_ |= eager_field(id);
  if (elements > 1) insert_line(index + 1, header_name, rest);
  return removed;
}

void Message::stamp_top_via(std::string_view element) {
  const bool was_current = (stale_ & kTopViaField) == 0;
  // Only the top element: removing it rewrites the rest of its line (if any) in place, and the
  // prepend puts ours before that, so the other Via values keep their order.
  (void)remove_first_element(HeaderId::via);
  prepend_header(HeaderId::via, element);
  if (was_current) stale_ &= static_cast<std::uint8_t>(~kTopViaField);
}

void Message::set_request_uri(std::string_view uri) {
  auto begin = static_cast<std::uint32_t>(arena_.size());
  arena_.append(uri);
  new_request_uri_ = {begin, static_cast<std::uint32_t>(arena_.size())};
  edited_ = true;
  stale_ |= kRequestUriField;
}

void Message::set_body(std::string_view new_body, std::string_view content_type) {
  auto begin = static_cast<std::uint32_t>(arena_.size());
  arena_.append(new_body);
  new_body_ = {begin, static_cast<std::uint32_t>(arena_.size())};
  if (!content_type.empty()) replace_header(HeaderId::content_type, content_type);
  edited_ = true;
  stale_ |= kContentLengthField;  // serialize() writes the new body's length
}

std::string Message::serialize() const {
  std::string out;
  serialize_to(out);
  return out;
}

void Message::serialize_to(std::string& out) const {
  if (!edited_) {
    out.append(buffer_.substr(message_begin_, wire_size_ - message_begin_));
    return;
  }
  out.reserve(out.size() + wire_size_ + arena_.size() + 32);
  // Start line.
  if (is_request_ && new_request_uri_) {
    out.append(method_text_);
    out.push_back(' ');
    out.append(arena_text(new_request_uri_->first, new_request_uri_->second));
    out.push_back(' ');
    out.append(version_);
    out.append("\r\n");
  } else {
    out.append(buffer_.substr(message_begin_, start_line_end_ - message_begin_));
  }
  std::string_view new_body = body();
  bool wrote_length = false;
  for (const HeaderField& f : fields_) {
    if (f.removed()) continue;
    if (f.id == HeaderId::content_length) {
      if (wrote_length) continue;  // one Content-Length on the way out
      wrote_length = true;
      auto current = parse_decimal(value(f), 0xFFFFFFFFULL);
      if (!current || *current != new_body.size()) {
        out.append(name(f));
        out.append(": ");
        out.append(std::to_string(new_body.size()));
        out.append("\r\n");
        continue;
      }
    }
    std::string_view src = f.in_arena() ? std::string_view(arena_) : buffer_;
    out.append(src.substr(f.line_begin, f.line_end - f.line_begin));
  }
  if (!wrote_length) {
    out.append("Content-Length: ");
    out.append(std::to_string(new_body.size()));
    out.append("\r\n");
  }
  out.append("\r\n");
  out.append(new_body);
}

}  // namespace osprey::sip
