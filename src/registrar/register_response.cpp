#include "registrar/register_response.hpp"

#include <charconv>
#include <iterator>

#include "sip/builder.hpp"
#include "sip/date_header.hpp"
#include "sip/token_list.hpp"

namespace osprey::registrar {

std::string format_q(std::uint16_t q) {
  if (q >= 1000) return "1";
  std::string text = "0";
  if (q == 0) return text;
  text += '.';
  text += static_cast<char>('0' + q / 100);
  text += static_cast<char>('0' + q / 10 % 10);
  text += static_cast<char>('0' + q % 10);
  while (text.back() == '0') text.pop_back();  // qvalue allows up to 3 decimals; write no more than needed
  return text;
}

std::string ok_response(const sip::Message& request, const std::vector<store::Binding>& bindings,
                        std::int64_t now, std::string_view to_tag, bool outbound, std::uint32_t flow_timer) {
  sip::MessageBuilder response = sip::MessageBuilder::response_to(request, 200, "OK", to_tag);
  for (const store::Binding& binding : bindings) {
    if (binding.expires_at <= now) continue;
    char seconds[24];
    const char* end = std::to_chars(std::begin(seconds), std::end(seconds), binding.expires_at - now).ptr;
    // Always in <>: the URI may carry parameters of its own, which would otherwise be read as
    // contact-params (§20.10).
    response.header(sip::HeaderId::contact,
                    {"<", binding.contact,
                     ">;expires=", std::string_view(seconds, static_cast<std::size_t>(end - seconds)),
                     ";q=", format_q(binding.q)});
  }
  response.header(sip::HeaderId::date, sip::format_date_text(now).view());
  if (outbound) {
    response.header("Require", "outbound");
    if (flow_timer != 0) response.header("Flow-Timer", std::to_string(flow_timer));
  }
  auto supported = sip::token_list(request, sip::HeaderId::supported);
  if (supported && sip::contains_token(*supported, "path")) {
    request.for_each_line(sip::HeaderId::path, [&](std::string_view value) {
      response.header(sip::HeaderId::path, value);
      return true;
    });
  }
  return std::move(response).serialize();
}

}  // namespace osprey::registrar
