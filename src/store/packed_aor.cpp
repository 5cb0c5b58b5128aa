#include "store/packed_aor.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <new>
#include <utility>

namespace osprey::store {
namespace {

// The link first: operator new[] aligns the block for any object, so the two pointers are aligned.
constexpr std::size_t kLinkSize = sizeof(PackedAor::WheelLink);
constexpr std::size_t kExpiryOffset = kLinkSize;
constexpr std::size_t kCountOffset = kExpiryOffset + sizeof(std::int64_t);
constexpr std::size_t kOwnersOffset = kCountOffset + sizeof(std::uint32_t);
constexpr std::size_t kHeaderSize = kOwnersOffset + sizeof(std::uint32_t);
using Owners = std::atomic<std::uint32_t>;
static_assert(sizeof(Owners) == sizeof(std::uint32_t) && kOwnersOffset % alignof(Owners) == 0);

Owners& owners_of(char* block) { return *std::launder(reinterpret_cast<Owners*>(block + kOwnersOffset)); }
constexpr std::size_t kFixedPerBinding = sizeof(std::int64_t) + sizeof(std::uint32_t) + sizeof(std::uint16_t);

// LEB128: one byte for lengths below 128, which nearly every SIP field is; no upper limit, so no
// field is ever refused for its size.
std::size_t varint_size(std::size_t value) {
  std::size_t bytes = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++bytes;
  }
  return bytes;
}

std::size_t string_size(std::string_view text) { return varint_size(text.size()) + text.size(); }

// A source: one byte (0: none; else the protocol + 1, with kIpv6Source for an IPv6 address),
// then the address (4 or 16 bytes), the port and the connection id (a varint: 1 byte over UDP).
// 8 bytes for a UDP source over IPv4, where its text took 19.
constexpr unsigned char kIpv6Source = 0x10;
constexpr std::size_t kIpv4Bytes = 4;
constexpr std::size_t kIpv6Bytes = 16;

std::size_t source_size(const std::optional<BindingSource>& source) {
  if (!source) return 1;
  return 1 + (source->remote.address.is_v6() ? kIpv6Bytes : kIpv4Bytes) + sizeof(std::uint16_t) +
         varint_size(source->connection);
}

// The reg-id and whether the binding is bound to its flow (RFC 5626 §6), in one varint:
// reg_id * 2 + outbound. A reg-id is below 2^31, so the word stays below 2^32.
std::size_t flow_word(const Binding& binding) {
  return (static_cast<std::size_t>(binding.reg_id) << 1) | (binding.outbound ? 1 : 0);
}

// How much later than its expiry the journal holds a binding as expiring (never earlier).
std::size_t durable_lead(const Binding& binding, std::span<const std::int64_t> durable_until, std::size_t i) {
  if (durable_until.empty() || durable_until[i] <= binding.expires_at) return 0;
  return static_cast<std::size_t>(durable_until[i] - binding.expires_at);
}

std::size_t binding_size(const Binding& binding, std::size_t lead) {
  std::size_t size = kFixedPerBinding + string_size(binding.contact) + string_size(binding.call_id) +
                     source_size(binding.source) + string_size(binding.user_agent) +
                     string_size(binding.instance) + varint_size(flow_word(binding)) + varint_size(lead) +
                     varint_size(binding.path.size());
  for (const auto& value : binding.path) size += string_size(value);
  return size;
}

class Writer {
 public:
  explicit Writer(char* out) : out_(out) {}
  template <typename T>
  void fixed(T value) {
    std::memcpy(out_, &value, sizeof value);
    out_ += sizeof value;
  }
  void varint(std::size_t value) {
    while (value >= 0x80) {
      *out_++ = static_cast<char>((value & 0x7f) | 0x80);
      value >>= 7;
    }
    *out_++ = static_cast<char>(value);
  }
  void text(std::string_view value) {
    varint(value.size());
    std::memcpy(out_, value.data(), value.size());
    out_ += value.size();
  }
  void source(const std::optional<BindingSource>& value) {
    if (!value) {
      fixed<unsigned char>(0);
      return;
    }
    const auto& address = value->remote.address;
    const auto protocol = static_cast<unsigned char>(static_cast<unsigned>(value->protocol) + 1);
    if (address.is_v6()) {
      fixed(static_cast<unsigned char>(protocol | kIpv6Source));
      fixed(address.to_v6().to_bytes());
    } else {
      fixed(protocol);
      fixed(address.to_v4().to_bytes());
    }
    fixed(value->remote.port);
    varint(value->connection);
  }

 private:
  char* out_;
};

// Reads a block this file wrote: trusted input, so no bounds checks.
class Reader {
 public:
  explicit Reader(const char* in) : in_(in) {}
  template <typename T>
  T fixed() {
    T value;
    std::memcpy(&value, in_, sizeof value);
    in_ += sizeof value;
    return value;
  }
  std::size_t varint() {
    std::size_t value = 0;
    int shift = 0;
    for (;;) {
      const auto byte = static_cast<unsigned char>(*in_++);
      value |= static_cast<std::size_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
      shift += 7;
    }
  }
  std::string_view text() {
    const std::size_t size = varint();
    std::string_view value(in_, size);
    in_ += size;
    return value;
  }
  std::optional<BindingSource> source() {
    const auto kind = fixed<unsigned char>();
    if (kind == 0) return std::nullopt;
    BindingSource value;
    value.protocol = static_cast<net::Protocol>((kind & ~kIpv6Source) - 1);
    if ((kind & kIpv6Source) != 0) {
      value.remote.address = boost::asio::ip::address_v6(fixed<boost::asio::ip::address_v6::bytes_type>());
    } else {
      value.remote.address = boost::asio::ip::address_v4(fixed<boost::asio::ip::address_v4::bytes_type>());
    }
    value.remote.port = fixed<std::uint16_t>();
    value.connection = varint();
    return value;
  }
  void skip_binding() {
    in_ += kFixedPerBinding;
    text();  // contact
    text();  // call_id
    source();
    text();    // user_agent
    text();    // instance
    varint();  // reg-id and outbound
    varint();  // durable lead
    for (std::size_t count = varint(); count > 0; --count) text();
  }
  Binding binding(std::string_view aor) {
    Binding out;
    out.aor = aor;
    out.expires_at = fixed<std::int64_t>();
    out.cseq = fixed<std::uint32_t>();
    out.q = fixed<std::uint16_t>();
    out.contact = text();
    out.call_id = text();
    out.source = source();
    out.user_agent = text();
    out.instance = text();
    const std::size_t word = varint();
    out.reg_id = static_cast<std::uint32_t>(word >> 1);
    out.outbound = (word & 1) != 0;
    varint();  // durable lead: the store's own business
    const std::size_t paths = varint();
    out.path.reserve(paths);
    for (std::size_t i = 0; i < paths; ++i) out.path.emplace_back(text());
    return out;
  }
  const char* position() const { return in_; }

 private:
  const char* in_;
};

}  // namespace

PackedAor PackedAor::encode(std::string_view aor, std::span<const Binding> bindings,
                            std::span<const std::int64_t> durable_until) {
  std::size_t size = kHeaderSize + string_size(aor);
  std::int64_t earliest = std::numeric_limits<std::int64_t>::max();
  for (std::size_t i = 0; i < bindings.size(); ++i) {
    size += binding_size(bindings[i], durable_lead(bindings[i], durable_until, i));
    earliest = std::min(earliest, bindings[i].expires_at);
  }
  Block data(new char[size]);  // left uninitialised: every byte is written below
  new (data.get()) WheelLink{};
  Writer(data.get() + kExpiryOffset).fixed(earliest);
  Writer(data.get() + kCountOffset).fixed(static_cast<std::uint32_t>(bindings.size()));
  new (data.get() + kOwnersOffset) Owners(1);
  Writer out(data.get() + kHeaderSize);
  out.text(aor);
  for (std::size_t i = 0; i < bindings.size(); ++i) {
    const Binding& binding = bindings[i];
    out.fixed(binding.expires_at);
    out.fixed(binding.cseq);
    out.fixed(binding.q);
    out.text(binding.contact);
    out.text(binding.call_id);
    out.source(binding.source);
    out.text(binding.user_agent);
    out.text(binding.instance);
    out.varint(flow_word(binding));
    out.varint(durable_lead(binding, durable_until, i));
    out.varint(binding.path.size());
    for (const auto& value : binding.path) out.text(value);
  }
  return PackedAor(std::move(data));
}

void PackedAor::Release::operator()(char* block) const noexcept {
  // acq_rel: the owner that frees sees every write the other owner made before letting go.
  if (owners_of(block).fetch_sub(1, std::memory_order_acq_rel) == 1) delete[] block;
}

SharedPackedAor PackedAor::share() const {
  if (!data_) return {};
  owners_of(data_.get()).fetch_add(1, std::memory_order_relaxed);
  return SharedPackedAor(data_.get());
}

std::uint32_t PackedAor::size_of(const char* block) {
  return Reader(block + kCountOffset).fixed<std::uint32_t>();
}

const char* PackedAor::first_binding_of(const char* block) {
  Reader in(block + kHeaderSize);
  in.text();
  return in.position();
}

const char* PackedAor::read_binding(const char* at, PackedBinding& out) {
  Reader in(at);
  out.expires_at = in.fixed<std::int64_t>();
  out.cseq = in.fixed<std::uint32_t>();
  out.q = in.fixed<std::uint16_t>();
  out.contact = in.text();
  out.call_id = in.text();
  out.source = in.source();
  out.user_agent = in.text();
  out.instance = in.text();
  const std::size_t word = in.varint();
  out.reg_id = static_cast<std::uint32_t>(word >> 1);
  out.outbound = (word & 1) != 0;
  out.durable_until = out.expires_at + static_cast<std::int64_t>(in.varint());
  out.path.clear();
  for (std::size_t count = in.varint(); count > 0; --count) out.path.push_back(in.text());
  return in.position();
}

std::string_view PackedAor::aor() const { return aor_of(data_.get()); }

std::uint32_t PackedAor::size() const { return size_of(data_.get()); }

std::int64_t PackedAor::earliest_expiry() const { return earliest_expiry_of(data_.get()); }

std::int64_t PackedAor::earliest_expiry_of(const char* block) {
  return Reader(block + kExpiryOffset).fixed<std::int64_t>();
}

std::string_view PackedAor::aor_of(const char* block) { return Reader(block + kHeaderSize).text(); }

PackedAor& PackedAor::operator=(PackedAor&& other) noexcept {
  if (this != &other) {
    unlink();
    data_ = std::move(other.data_);
  }
  return *this;
}

PackedAor::WheelLink* PackedAor::wheel_link() const {
  return data_ ? std::launder(reinterpret_cast<WheelLink*>(data_.get())) : nullptr;
}

void PackedAor::unlink() const {
  WheelLink* link = wheel_link();
  if (link == nullptr || link->pprev == nullptr) return;
  *link->pprev = link->next;
  if (link->next != nullptr) std::launder(reinterpret_cast<WheelLink*>(link->next))->pprev = link->pprev;
  *link = WheelLink{};
}

std::size_t PackedAor::live_count(std::int64_t now) const {
  if (earliest_expiry() > now) return size();
  Reader in(data_.get() + kHeaderSize);
  in.text();
  std::size_t live = 0;
  for (std::uint32_t i = size(); i > 0; --i) {
    Reader peek = in;
    if (peek.fixed<std::int64_t>() > now) ++live;
    in.skip_binding();
  }
  return live;
}

std::vector<Binding> PackedAor::live(std::int64_t now) const {
  std::vector<Binding> out;
  Reader in(data_.get() + kHeaderSize);
  const std::string_view name = in.text();
  const std::uint32_t count = size();
  out.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    if (Reader(in).fixed<std::int64_t>() > now) {
      out.push_back(in.binding(name));
    } else {
      in.skip_binding();
    }
  }
  return out;
}

std::size_t PackedAor::heap_bytes() const {
  Reader in(data_.get() + kHeaderSize);
  in.text();
  for (std::uint32_t i = size(); i > 0; --i) in.skip_binding();
  return static_cast<std::size_t>(in.position() - data_.get());
}

}  // namespace osprey::store
