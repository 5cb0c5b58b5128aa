#include "store/durable_expiry.hpp"

#include <algorithm>

namespace osprey::store {
namespace {

// What the file keeps of a source (binding_source_text.hpp): not the connection id, which
// restarts with the process.
bool same_stored_source(const std::optional<BindingSource>& stored,
                        const std::optional<BindingSource>& next) {
  if (!stored || !next) return !stored && !next;
  return stored->protocol == next->protocol && stored->remote == next->remote;
}

bool same_path(const std::vector<std::string_view>& stored, const std::vector<std::string>& next) {
  return std::equal(stored.begin(), stored.end(), next.begin(), next.end());
}

// Everything by which the binding is found and routed (§10.3 step 7, RFC 3327, RFC 5626 §6),
// and its User-Agent, which the admin API shows.
bool same_route(const PackedBinding& stored, const Binding& next) {
  return stored.contact == next.contact && stored.q == next.q && stored.instance == next.instance &&
         stored.reg_id == next.reg_id && stored.user_agent == next.user_agent &&
         same_stored_source(stored.source, next.source) && same_path(stored.path, next.path);
}

}  // namespace

std::int64_t durable_expiry(std::int64_t expires_at, std::int64_t now) {
  return expires_at + std::clamp<std::int64_t>(expires_at - now, 0, kMaxLead);
}

bool file_holds(const PackedAor& stored, std::span<const Binding> next,
                std::vector<std::int64_t>& durable_until) {
  if (!stored || stored.size() != next.size() || next.empty()) return false;
  durable_until.clear();
  bool holds = true;
  std::size_t i = 0;
  stored.visit([&](const PackedBinding& binding) {
    if (!holds) return;
    const Binding& wanted = next[i++];
    // Not too far within either: a refresh that shortens the interval is written, so that after
    // a crash no binding outlives its last 200 by more than kMaxLead.
    holds = wanted.expires_at <= binding.durable_until &&
            binding.durable_until - wanted.expires_at <= kMaxLead && same_route(binding, wanted);
    durable_until.push_back(binding.durable_until);
  });
  return holds;
}

}  // namespace osprey::store
