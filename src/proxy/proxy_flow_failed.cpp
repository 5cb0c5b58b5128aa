// RFC 5626 §5.3: "if the flow ... has failed, the proxy SHOULD send a 430 (Flow Failed)
// response"; a binding's flow is the only way to it, so the binding leaves the location
// service (§5.3: the authoritative proxy removes a binding whose flow failed), and the other
// bindings of the user are tried as usual.
#include "proxy/proxy_core.hpp"
#include "proxy/response_context.hpp"

namespace osprey::proxy {

namespace {
// The binding `failed` names, as the location service holds it now: the same contact over the
// same flow. A binding the UA has since refreshed over a new flow is another one, and stays.
bool same_flow_binding(const store::Binding& stored, const store::Binding& failed) {
  return stored.outbound && stored.contact == failed.contact && stored.source == failed.source &&
         stored.instance == failed.instance && stored.reg_id == failed.reg_id;
}
}  // namespace

void ProxyCore::flow_failed(ContextKey key, std::size_t branch, const store::Binding& binding) {
  ++counters_.flows_failed;
  std::vector<store::Binding> kept;
  location_.update(
      binding.aor, clock_(),
      [&kept, &binding](const std::vector<store::Binding>& current) -> std::optional<store::AorUpdate> {
        kept.reserve(current.size());
        for (const store::Binding& stored : current) {
          if (!same_flow_binding(stored, binding)) kept.push_back(stored);
        }
        if (kept.size() == current.size()) return std::nullopt;
        return store::AorUpdate{kept};
      },
      [](bool) {});
  branch_ended(key, branch, 430, nullptr);
}

}  // namespace osprey::proxy
