#pragma once
// The registrar's answers to a REGISTER (RFC 3261 §10.3 step 8, RFC 3327 §5.3), serialized.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "registrar/register_request.hpp"
#include "sip/message.hpp"
#include "store/binding.hpp"

namespace osprey::registrar {

// The 200 to `request`: §10.3 step 8 "The response SHOULD include a Contact header field
// enumerating all current bindings. Each Contact value MUST feature an "expires" parameter
// indicating its expiration interval chosen by the registrar", here the seconds left at `now`
// (bindings already expired at `now` are left out), plus its q-value. A Date header
// (§20.17) lets the UA see the registrar's clock. RFC 3327 §5.3: the registrar copies the
// request's Path values, in order, into the 200, when the UA said "Supported: path".
// `to_tag` is added to a To without a tag (§8.2.6.2). RFC 5626 §6: when the registrar applied
// outbound processing (`outbound`), "Require: outbound", and, when `flow_timer` is not 0, a
// Flow-Timer (§4.4.1) with it; neither otherwise.
std::string ok_response(const sip::Message& request, const std::vector<store::Binding>& bindings,
                        std::int64_t now, std::string_view to_tag, bool outbound = false,
                        std::uint32_t flow_timer = 0);

// A q-value in thousandths as RFC 3261 §20.10 writes it: 1000 -> "1", 500 -> "0.5", 5 -> "0.005".
std::string format_q(std::uint16_t q);

}  // namespace osprey::registrar
