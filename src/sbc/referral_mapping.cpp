#include "sbc/referral_mapping.hpp"

#include "sip/uri_header_fields.hpp"

namespace osprey::sbc {

DialogIds dialog_named_by(const sip::Replaces& replaces) {
  return DialogIds{std::string(replaces.call_id), std::string(replaces.to_tag),
                   std::string(replaces.from_tag)};
}

DialogIds peer_view(const DialogIds& dialog) {
  return DialogIds{dialog.call_id, dialog.remote_tag, dialog.local_tag};
}

std::string format_replaces(const DialogIds& dialog, bool early_only) {
  std::string out = dialog.call_id;
  out += ";to-tag=";
  out += dialog.local_tag;
  out += ";from-tag=";
  out += dialog.remote_tag;
  if (early_only) out += ";early-only";
  return out;
}

sip::Result<std::optional<std::string>> map_replaces(std::string_view value, const DialogLookup& lookup) {
  auto replaces = sip::parse_replaces(value);
  if (!replaces) return tl::unexpected(std::move(replaces.error()));
  std::optional<DialogIds> other_side = lookup(dialog_named_by(*replaces));
  if (!other_side) return std::optional<std::string>{};
  return std::optional<std::string>{format_replaces(peer_view(*other_side), replaces->early_only)};
}

sip::Result<std::optional<std::string>> map_refer_to(std::string_view value, const DialogLookup& lookup,
                                                     const TransferTarget& target) {
  auto refer_to = sip::parse_refer_to(value);
  if (!refer_to) return tl::unexpected(std::move(refer_to.error()));
  std::optional<std::string> mapped_replaces;
  if (std::optional<std::string> embedded = sip::uri_header(refer_to->uri, "Replaces")) {
    auto mapped = map_replaces(*embedded, lookup);
    if (!mapped) return tl::unexpected(std::move(mapped.error()));
    if (!*mapped) return std::optional<std::string>{};
    mapped_replaces = std::move(*mapped);
  }
  std::optional<std::string> uri = target(refer_to->uri);
  if (!uri) return std::optional<std::string>{};
  std::string out = "<" + *uri;
  if (mapped_replaces) out += "?Replaces=" + sip::escape(*mapped_replaces, sip::UriComponent::header);
  out += ">";
  return std::optional<std::string>{std::move(out)};
}

}  // namespace osprey::sbc
