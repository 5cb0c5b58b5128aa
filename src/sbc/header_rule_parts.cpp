#include "sbc/header_rule_parts.hpp"

#include <algorithm>

#include <charconv>

#include "sip/host.hpp"
#include "sip/name_addr.hpp"
#include "sip/params.hpp"
#include "sip/uri.hpp"

namespace osprey::sbc {

namespace {

std::size_t offset_in(std::string_view whole, std::string_view part) {
  return static_cast<std::size_t>(part.data() - whole.data());
}

std::string spliced(std::string_view text, std::size_t begin, std::size_t end, std::string_view insert) {
  std::string out;
  out.reserve(text.size() - (end - begin) + insert.size());
  out.append(text.substr(0, begin));
  out.append(insert);
  out.append(text.substr(end));
  return out;
}

// `params` (";a=b;c") with parameter `name` set to `value` ("" writes a flag: ";lr"), or removed.
std::string with_param(std::string_view params, std::string_view name,
                       std::optional<std::string_view> value) {
  std::string out;
  bool found = false;
  const auto write = [&](std::string_view param_name, std::string_view param_value) {
    out.push_back(';');
    out.append(param_name);
    if (!param_value.empty()) {
      out.push_back('=');
      out.append(param_value);
    }
  };
  sip::for_each_param(params, [&](const sip::Param& param) {
    const bool same =
        param.name.size() == name.size() &&
        std::equal(name.begin(), name.end(), param.name.begin(), [](char a, char b) {
          return (static_cast<unsigned char>(a) | 0x20) == (static_cast<unsigned char>(b) | 0x20);
        });
    if (!same) {
      out.push_back(';');
      out.append(param.name);
      if (param.has_value) {
        out.push_back('=');
        out.append(param.value);
      }
    } else if (value && !found) {
      write(param.name, *value);
    }
    found = found || same;
    return true;
  });
  if (!found && value) write(name, *value);
  return out;
}

std::optional<std::string_view> param_value(std::string_view params, std::string_view name) {
  auto param = sip::find_param(params, name);
  if (!param) return std::nullopt;
  return param->value;
}

// One past the host and port of a sip/sips URI.
std::size_t host_port_end(const sip::Uri& uri) {
  std::size_t end = offset_in(uri.text, uri.host) + uri.host.size();
  if (uri.has_port && end < uri.text.size() && uri.text[end] == ':') {
    ++end;
    while (end < uri.text.size() && uri.text[end] >= '0' && uri.text[end] <= '9') ++end;
  }
  return end;
}

// Where a URI's parameters are (or would be written): [begin, end).
std::pair<std::size_t, std::size_t> params_range(const sip::Uri& uri) {
  if (!uri.params.empty()) {
    const std::size_t begin = offset_in(uri.text, uri.params);
    return {begin, begin + uri.params.size()};
  }
  std::size_t at = uri.text.size();
  if (!uri.headers.empty()) at = offset_in(uri.text, uri.headers) - 1;  // the '?'
  return {at, at};
}

std::optional<std::string_view> unquoted(std::string_view display) {
  if (display.size() >= 2 && display.front() == '"' && display.back() == '"') {
    return display.substr(1, display.size() - 2);
  }
  return display;
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

bool valid_port(std::string_view text) {
  unsigned port = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  return error == std::errc() && end == text.data() + text.size() && port >= 1 && port <= 65535;
}

}  // namespace

std::optional<std::string_view> read_uri_part(std::string_view text, HeaderPart part,
                                              std::string_view param) {
  if (part == HeaderPart::value || part == HeaderPart::uri) return text;
  auto uri = sip::parse_uri(text);
  if (!uri) return std::nullopt;
  if (uri->scheme == sip::UriScheme::tel) {
    if (part == HeaderPart::user) return uri->user;
    if (part == HeaderPart::uri_param) return param_value(uri->params, param);
    return std::nullopt;
  }
  if (!uri->is_sip()) return std::nullopt;
  switch (part) {
    case HeaderPart::user: return uri->has_user ? std::optional<std::string_view>(uri->user) : std::nullopt;
    case HeaderPart::host: return uri->host;
    case HeaderPart::port:
      if (!uri->has_port) return std::nullopt;
      return uri->text.substr(offset_in(uri->text, uri->host) + uri->host.size() + 1,
                              host_port_end(*uri) - (offset_in(uri->text, uri->host) + uri->host.size() + 1));
    case HeaderPart::uri_param: return param_value(uri->params, param);
    default: return std::nullopt;
  }
}

std::optional<std::string_view> read_element_part(std::string_view element, HeaderPart part,
                                                  std::string_view param) {
  if (part == HeaderPart::value) return element;
  auto name_addr = sip::parse_name_addr(element, "header");
  if (!name_addr) return std::nullopt;
  switch (part) {
    case HeaderPart::display_name:
      if (name_addr->display_name.empty()) return std::nullopt;
      return unquoted(name_addr->display_name);
    case HeaderPart::header_param: return param_value(name_addr->params, param);
    default: return read_uri_part(name_addr->uri.text, part, param);
  }
}

namespace {

// RFC 3261 §25.1: user = 1*( unreserved / escaped / user-unreserved ). A value with an '@', a
// '>' or a space would end the user early and let text a rule captured from the peer become
// the host, URI parameters or another header entry.
bool valid_uri_user(std::string_view user) {
  return std::all_of(user.begin(), user.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("-_.!~*'()%&=+$,;?/").find(c) != std::string_view::npos;
  });
}

// RFC 3261 §25.1: paramchar = param-unreserved / unreserved / escaped.
bool valid_uri_param_value(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("-_.!~*'()%[]/:&+$").find(c) != std::string_view::npos;
  });
}

}  // namespace

tl::expected<std::optional<std::string>, std::string> write_uri_part(std::string_view text, HeaderPart part,
                                                                     std::string_view param,
                                                                     std::optional<std::string_view> value,
                                                                     bool request_uri,
                                                                     bool inside_name_addr) {
  std::string out;
  if (part == HeaderPart::value || part == HeaderPart::uri) {
    if (!value || value->empty()) return tl::unexpected(std::string("a URI cannot be empty"));
    out = std::string(*value);
  } else {
    auto uri = sip::parse_uri(text);
    if (!uri) return tl::unexpected("the URI '" + std::string(text) + "' does not parse");
    const bool tel = uri->scheme == sip::UriScheme::tel;
    if (!uri->is_sip() && !(tel && (part == HeaderPart::user || part == HeaderPart::uri_param))) {
      return std::optional<std::string>();
    }
    switch (part) {
      case HeaderPart::user: {
        const std::string_view user = value.value_or(std::string_view());
        if (!valid_uri_user(user))
          return tl::unexpected("'" + std::string(user) + "' is not a URI user part");
        if (tel || uri->has_user) {
          const std::size_t begin = offset_in(text, uri->user);
          // Without a user, the password and the '@' go too (sip:alice:pw@host -> sip:host).
          const std::size_t end =
              (user.empty() && !tel) ? offset_in(text, uri->host) : begin + uri->user.size();
          out = spliced(text, begin, end, user);
        } else if (!user.empty()) {
          out =
              spliced(text, offset_in(text, uri->host), offset_in(text, uri->host), std::string(user) + "@");
        } else {
          return std::optional<std::string>();
        }
        break;
      }
      case HeaderPart::host: {
        if (!value || value->empty()) return tl::unexpected(std::string("a sip URI cannot lose its host"));
        // The whole value must be one host: "evil.example;transport=tcp" would smuggle URI
        // parameters in through the host.
        if (!sip::classify_host(*value)) return tl::unexpected("'" + std::string(*value) + "' is not a host");
        const std::size_t begin = offset_in(text, uri->host);
        out = spliced(text, begin, begin + uri->host.size(), *value);
        break;
      }
      case HeaderPart::port: {
        if (value && !value->empty() && !valid_port(*value)) {
          return tl::unexpected("'" + std::string(*value) + "' is not a port (1-65535)");
        }
        const std::size_t begin = offset_in(text, uri->host) + uri->host.size();
        out = spliced(text, begin, host_port_end(*uri),
                      value && !value->empty() ? ":" + std::string(*value) : std::string());
        break;
      }
      case HeaderPart::uri_param: {
        if (value && !valid_uri_param_value(*value))
          return tl::unexpected("'" + std::string(*value) + "' is not a URI parameter value");
        const auto [begin, end] = params_range(*uri);
        out = spliced(text, begin, end, with_param(uri->params, param, value));
        break;
      }
      default: return std::optional<std::string>();
    }
  }
  // Inside a name-addr, the element's own parse checks the URI (write_element_part).
  if (!inside_name_addr) {
    if (auto check = sip::parse_uri(out, sip::UriParseOptions{.allow_headers = !request_uri}); !check) {
      return tl::unexpected("the rule would make the URI '" + out + "', which does not parse");
    }
  }
  return std::optional<std::string>(std::move(out));
}

tl::expected<std::optional<std::string>, std::string> write_element_part(
    std::string_view element, HeaderPart part, std::string_view param,
    std::optional<std::string_view> value) {
  // The whole value: the caller checks it with the header's own parser.
  if (part == HeaderPart::value)
    return std::optional<std::string>(std::string(value.value_or(std::string_view())));
  std::string out;
  {
    auto name_addr = sip::parse_name_addr(element, "header");
    if (!name_addr) return tl::unexpected("'" + std::string(element) + "' does not parse as a name-addr");
    std::string display(name_addr->display_name);
    std::string uri(name_addr->uri.text);
    std::string params(name_addr->params);
    switch (part) {
      case HeaderPart::display_name:
        display = value && !value->empty() ? quoted(*value) : std::string();
        break;
      case HeaderPart::header_param: params = with_param(name_addr->params, param, value); break;
      default: {
        auto new_uri = write_uri_part(name_addr->uri.text, part, param, value, false, true);
        if (!new_uri) return tl::unexpected(new_uri.error());
        if (!*new_uri) return std::optional<std::string>();
        uri = std::move(**new_uri);
      }
    }
    // RFC 3261 §20.10: always the name-addr form, so URI parameters stay the URI's.
    out.reserve(display.size() + uri.size() + params.size() + 3);
    if (!display.empty()) {
      out.append(display);
      out.push_back(' ');
    }
    out.push_back('<');
    out.append(uri);
    out.push_back('>');
    out.append(params);
  }
  if (auto check = sip::parse_name_addr(out, "header"); !check) {
    return tl::unexpected("the rule would make '" + out + "', which does not parse as a name-addr");
  }
  return std::optional<std::string>(std::move(out));
}

}  // namespace osprey::sbc
