#include "security/dialog_token.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "sip/char_class.hpp"
#include "sip/host.hpp"

namespace osprey::security {

namespace {
constexpr std::size_t kMacBytes = 12;
constexpr std::size_t kIssuedBytes = 4;
constexpr std::size_t kHeaderBytes = kIssuedBytes + 1;  // issue time, direction
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// base64url without padding (RFC 4648 §5): a URI parameter value needs no escaping then.
std::string encode(std::string_view bytes) {
  std::string text;
  text.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t bits = 0;
  int held = 0;
  for (unsigned char byte : bytes) {
    bits = (bits << 8) | byte;
    held += 8;
    while (held >= 6) {
      held -= 6;
      text.push_back(kBase64Url[(bits >> held) & 0x3f]);
    }
  }
  if (held > 0) text.push_back(kBase64Url[(bits << (6 - held)) & 0x3f]);
  return text;
}

std::optional<std::string> decode(std::string_view text) {
  std::string bytes;
  std::uint32_t bits = 0;
  int held = 0;
  for (char c : text) {
    const char* at = std::strchr(kBase64Url, c);
    if (c == '\0' || at == nullptr) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(at - kBase64Url);
    held += 6;
    if (held >= 8) {
      held -= 8;
      bytes.push_back(static_cast<char>((bits >> held) & 0xff));
    }
  }
  // One spelling per token: the bits left over must be the zeros encode() wrote.
  if (held >= 6 || (bits & ((1u << held) - 1)) != 0) return std::nullopt;
  return bytes;
}

void put_u32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

// The direction byte's top bit: a flow follows the header.
constexpr unsigned char kFlowFlag = 0x80;
constexpr unsigned char kFlowV6 = 0x10;

void put_flow(std::string& out, const DialogFlow& flow) {
  const bool v6 = flow.address.is_v6();
  out.push_back(static_cast<char>(static_cast<unsigned char>(flow.protocol) | (v6 ? kFlowV6 : 0)));
  if (v6) {
    for (unsigned char byte : flow.address.to_v6().to_bytes()) out.push_back(static_cast<char>(byte));
  } else {
    for (unsigned char byte : flow.address.to_v4().to_bytes()) out.push_back(static_cast<char>(byte));
  }
  out.push_back(static_cast<char>(flow.port >> 8));
  out.push_back(static_cast<char>(flow.port & 0xff));
}

// The flow at the start of `in`, and how many bytes it took; nullopt when malformed.
std::optional<std::pair<DialogFlow, std::size_t>> get_flow(std::string_view in) {
  if (in.empty()) return std::nullopt;
  const auto kind = static_cast<unsigned char>(in[0]);
  const bool v6 = (kind & kFlowV6) != 0;
  const unsigned protocol = kind & 0x0f;
  if ((kind & ~(kFlowV6 | 0x0f)) != 0 || protocol > static_cast<unsigned>(FlowProtocol::wss))
    return std::nullopt;
  const std::size_t address_size = v6 ? 16 : 4;
  if (in.size() < 1 + address_size + 2) return std::nullopt;
  DialogFlow flow;
  flow.protocol = static_cast<FlowProtocol>(protocol);
  if (v6) {
    boost::asio::ip::address_v6::bytes_type bytes{};
    std::memcpy(bytes.data(), in.data() + 1, 16);
    flow.address = boost::asio::ip::address_v6(bytes);
  } else {
    boost::asio::ip::address_v4::bytes_type bytes{};
    std::memcpy(bytes.data(), in.data() + 1, 4);
    flow.address = boost::asio::ip::address_v4(bytes);
  }
  flow.port = static_cast<std::uint16_t>((static_cast<unsigned char>(in[1 + address_size]) << 8) |
                                         static_cast<unsigned char>(in[2 + address_size]));
  return std::pair{flow, 1 + address_size + 2};
}

// The address and port of a flow sit after its kind byte, 6 or 18 bytes.
std::size_t flow_secret_size(unsigned char kind) { return ((kind & kFlowV6) != 0 ? 16 : 4) + 2; }

std::uint32_t get_u32(std::string_view in) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}
}  // namespace

DialogToken::DialogToken(const Secret& secret, std::int64_t lifetime_seconds)
    : hmac_(secret), lifetime_(lifetime_seconds) {}

std::string dialog_place(std::string_view host, std::uint16_t port) {
  return sip::canonical_host(host) + ":" + std::to_string(port);
}

std::string dialog_place(const sip::Uri& uri) {
  if (!uri.is_sip()) return {};
  std::uint16_t port = uri.port_or_default();
  if (!uri.has_port) {
    const auto transport = uri.param("transport");
    if (transport && sip::iequals(*transport, "tls")) port = 5061;
  }
  // §19.1.1: maddr overrides the host as the place a request is sent to (net::target_of).
  const auto maddr = uri.param("maddr");
  return dialog_place(maddr && !maddr->empty() ? *maddr : uri.host, port);
}

std::string_view place_host(std::string_view place) {
  const auto colon = place.rfind(':');
  return colon == std::string_view::npos ? place : place.substr(0, colon);
}

std::string dialog_target(std::string_view contact_uri) {
  if (contact_uri.empty()) return {};
  return "target " + std::string(contact_uri);
}

std::uint32_t DialogToken::place_hash(std::string_view place) const {
  // Keyed, so nobody can search offline for another place with the same 32 bits.
  HmacSha256::Mac mac{};
  if (!hmac_.compute({"place\n", place}, mac)) return 0;
  return get_u32(std::string_view(reinterpret_cast<const char*>(mac.data()), 4));
}

bool DialogToken::mask_flow(std::string& bytes, std::string_view mac) const {
  // SIV-style: the keystream comes from the MAC over the plain token, so only the holder of the
  // secret reads the address, and the MAC still covers it. The kind byte stays plain: it says
  // how many bytes follow.
  const std::size_t kind_at = kHeaderBytes;
  if (bytes.size() <= kind_at) return false;
  const std::size_t size = flow_secret_size(static_cast<unsigned char>(bytes[kind_at]));
  if (bytes.size() < kind_at + 1 + size) return false;
  HmacSha256::Mac pad{};
  if (!hmac_.compute({"flow\n", mac}, pad)) return false;
  for (std::size_t i = 0; i < size; ++i) bytes[kind_at + 1 + i] ^= static_cast<char>(pad[i]);
  return true;
}

bool DialogToken::compute_mac(const DialogBinding& binding, std::string_view signed_part,
                              HmacSha256::Mac& out) const {
  // The separators keep neighbouring fields from sliding into each other.
  return hmac_.compute({"dialog\n", binding.call_id, "\n", binding.caller_tag, "\n", binding.callee_tag, "\n",
                        binding.caller_aor, "\n", binding.callee_aor, "\n", signed_part},
                       out);
}

std::string DialogToken::sign(const DialogBinding& binding, std::int64_t now) const {
  std::vector<std::uint32_t> hashes;
  for (const std::string& place : binding.places) {
    if (place.empty()) continue;
    const std::uint32_t hash = place_hash(place);
    if (std::find(hashes.begin(), hashes.end(), hash) == hashes.end() && hashes.size() < kMaxPlaces)
      hashes.push_back(hash);
  }
  std::string bytes;
  put_u32(bytes, static_cast<std::uint32_t>(now));
  const auto direction = static_cast<unsigned char>(binding.direction);
  bytes.push_back(static_cast<char>(binding.flow ? direction | kFlowFlag : direction));
  if (binding.flow) put_flow(bytes, *binding.flow);
  for (std::uint32_t hash : hashes) put_u32(bytes, hash);
  HmacSha256::Mac mac{};
  if (!compute_mac(binding, bytes, mac)) return {};
  const std::string_view mac_bytes(reinterpret_cast<const char*>(mac.data()), kMacBytes);
  // The flow is where a user is: only osprey may read it (the token travels to the other side).
  if (binding.flow && !mask_flow(bytes, mac_bytes)) return {};
  bytes.append(mac_bytes);
  return encode(bytes);
}

bool DialogToken::admits(std::string_view token, const DialogRequest& request, std::int64_t now,
                         std::optional<DialogFlow>* flow) const {
  if (token.size() > 160 || request.next_hop.empty()) return false;
  auto bytes = decode(token);
  if (!bytes || bytes->size() < kHeaderBytes + kMacBytes) return false;
  if ((static_cast<unsigned char>((*bytes)[kIssuedBytes]) & kFlowFlag) != 0) {
    std::string body = bytes->substr(0, bytes->size() - kMacBytes);
    if (!mask_flow(body, std::string_view(*bytes).substr(bytes->size() - kMacBytes))) return false;
    bytes->replace(0, body.size(), body);
  }
  const std::string_view all(*bytes);
  // The flow, when the direction byte says one follows, sits between the header and the hashes.
  std::optional<DialogFlow> bound_flow;
  std::size_t flow_size = 0;
  if ((static_cast<unsigned char>(all[kIssuedBytes]) & kFlowFlag) != 0) {
    auto parsed = get_flow(all.substr(kHeaderBytes, all.size() - kHeaderBytes - kMacBytes));
    if (!parsed) return false;
    bound_flow = parsed->first;
    flow_size = parsed->second;
  }
  const std::size_t places_at = kHeaderBytes + flow_size;
  const std::size_t hashes_size = bytes->size() - places_at - kMacBytes;
  if (hashes_size % 4 != 0) return false;
  const std::string_view signed_part = all.substr(0, places_at + hashes_size);
  const std::string_view mac = all.substr(places_at + hashes_size);
  // The direction says which side sends: the callee's requests carry the caller's tag and AOR in
  // To, the caller's in From.
  DialogBinding binding;
  binding.call_id = request.call_id;
  switch (static_cast<unsigned char>(static_cast<unsigned char>(signed_part[kIssuedBytes]) & ~kFlowFlag)) {
    case static_cast<unsigned char>(DialogDirection::toward_caller):
      binding.direction = DialogDirection::toward_caller;
      binding.caller_tag = request.to_tag;
      binding.caller_aor = request.to_aor;
      binding.callee_aor = request.from_aor;
      break;
    case static_cast<unsigned char>(DialogDirection::toward_callee):
      binding.direction = DialogDirection::toward_callee;
      binding.caller_tag = request.from_tag;
      binding.callee_tag = request.to_tag;
      binding.caller_aor = request.from_aor;
      binding.callee_aor = request.to_aor;
      break;
    default: return false;
  }
  HmacSha256::Mac expected{};
  if (!compute_mac(binding, signed_part, expected)) return false;
  if (mac.size() != kMacBytes || CRYPTO_memcmp(mac.data(), expected.data(), kMacBytes) != 0) return false;
  const std::uint32_t next_hop = place_hash(request.next_hop);
  bool bound = false;
  for (std::size_t at = places_at; at < signed_part.size(); at += 4)
    if (get_u32(signed_part.substr(at, 4)) == next_hop) bound = true;
  if (!bound) return false;
  // Issue times are 32-bit seconds: compared modulo 2^32 so the token survives 2106.
  const auto issued_low = get_u32(signed_part);
  const std::int64_t issued = now - static_cast<std::int64_t>(static_cast<std::uint32_t>(now) - issued_low);
  std::uint64_t key = 0;
  for (std::size_t i = 0; i < 8; ++i) key = (key << 8) | static_cast<unsigned char>(mac[i]);
  if (!renew(key, issued, now)) return false;
  if (flow != nullptr) *flow = bound_flow;
  return true;
}

bool DialogToken::renew(std::uint64_t key, std::int64_t issued, std::int64_t now) const {
  Shard& shard = shards_[key % kShards];
  const std::lock_guard lock(shard.mutex);
  auto it = shard.last_use.find(key);
  const std::int64_t last = it == shard.last_use.end() ? issued : std::max(issued, it->second);
  if (now - last >= lifetime_) {
    if (it != shard.last_use.end()) shard.last_use.erase(it);
    return false;
  }
  if (it != shard.last_use.end()) {
    it->second = now;
    return true;
  }
  if (shard.last_use.size() >= kMaxRenewalsPerShard) {
    std::erase_if(shard.last_use, [&](const auto& entry) { return now - entry.second >= lifetime_; });
  }
  if (shard.last_use.size() < kMaxRenewalsPerShard) shard.last_use.emplace(key, now);
  return true;
}

namespace {
// Domain separation: a dialog token's MAC input never starts with this label.
constexpr std::string_view kFlowTokenLabel = "osprey path flow token v1";
}  // namespace

std::string DialogToken::sign_flow(const DialogFlow& flow) const {
  std::string bytes;
  put_flow(bytes, flow);
  HmacSha256::Mac mac{};
  if (!hmac_.compute({kFlowTokenLabel, bytes}, mac)) return {};
  bytes.append(reinterpret_cast<const char*>(mac.data()), kMacBytes);
  return encode(bytes);
}

std::optional<DialogFlow> DialogToken::verify_flow(std::string_view token) const {
  auto bytes = decode(token);
  if (!bytes) return std::nullopt;
  auto flow = get_flow(*bytes);
  if (!flow || bytes->size() != flow->second + kMacBytes) return std::nullopt;
  HmacSha256::Mac mac{};
  if (!hmac_.compute({kFlowTokenLabel, std::string_view(*bytes).substr(0, flow->second)}, mac))
    return std::nullopt;
  if (CRYPTO_memcmp(mac.data(), bytes->data() + flow->second, kMacBytes) != 0) return std::nullopt;
  return flow->first;
}

}  // namespace osprey::security
