#include "net/dns_ttl.hpp"

#include <algorithm>
#include <cstddef>

namespace osprey::net {

namespace {

constexpr std::size_t kHeaderSize = 12;
constexpr std::uint16_t kTypeSoa = 6;
// RFC 1035 §3.3.13: SOA RDATA ends with SERIAL, REFRESH, RETRY, EXPIRE and MINIMUM, 32 bits each.
constexpr std::size_t kSoaNumbersSize = 20;

class Reader {
 public:
  explicit Reader(std::span<const unsigned char> message) : message_(message) {}

  bool u16(std::uint16_t& out) {
    if (message_.size() - offset_ < 2) return false;
    out = static_cast<std::uint16_t>((message_[offset_] << 8) | message_[offset_ + 1]);
    offset_ += 2;
    return true;
  }
  bool u32(std::uint32_t& out) {
    std::uint16_t high = 0;
    std::uint16_t low = 0;
    if (!u16(high) || !u16(low)) return false;
    out = (std::uint32_t{high} << 16) | low;
    return true;
  }
  bool skip(std::size_t count) {
    if (message_.size() - offset_ < count) return false;
    offset_ += count;
    return true;
  }
  // RFC 1035 §4.1.4: labels end at a zero octet or at a compression pointer, which ends the
  // name where it stands; the pointer is not followed, so a loop of pointers cannot trap us.
  bool skip_name() {
    while (offset_ < message_.size()) {
      const unsigned char length = message_[offset_];
      if (length == 0) return skip(1);
      if ((length & 0xC0) == 0xC0) return skip(2);
      if ((length & 0xC0) != 0) return false;  // the reserved label types (RFC 6891 §5)
      if (!skip(1 + std::size_t{length})) return false;
    }
    return false;
  }
  std::size_t offset() const { return offset_; }

 private:
  std::span<const unsigned char> message_;
  std::size_t offset_ = 0;
};

// RFC 2181 §8: a TTL with the top bit set is read as zero.
std::uint32_t sane_ttl(std::uint32_t ttl) { return (ttl & 0x80000000U) != 0 ? 0 : ttl; }

void keep_smallest(std::optional<std::uint32_t>& smallest, std::uint32_t value) {
  smallest = smallest ? std::min(*smallest, value) : value;
}

}  // namespace

std::optional<DnsTtls> read_dns_ttls(std::span<const unsigned char> message) {
  if (message.size() < kHeaderSize) return std::nullopt;
  Reader reader(message);
  std::uint16_t counts[6] = {};
  for (std::uint16_t& count : counts)
    if (!reader.u16(count)) return std::nullopt;
  const std::uint16_t questions = counts[2];
  const std::uint16_t answers = counts[3];
  const std::uint16_t authorities = counts[4];
  for (std::uint16_t i = 0; i < questions; ++i) {
    if (!reader.skip_name() || !reader.skip(4)) return std::nullopt;
  }
  DnsTtls ttls;
  for (std::uint32_t i = 0; i < std::uint32_t{answers} + authorities; ++i) {
    std::uint16_t type = 0;
    std::uint16_t record_class = 0;
    std::uint32_t ttl = 0;
    std::uint16_t length = 0;
    if (!reader.skip_name() || !reader.u16(type) || !reader.u16(record_class) || !reader.u32(ttl) ||
        !reader.u16(length)) {
      return std::nullopt;
    }
    const std::size_t data_start = reader.offset();
    if (!reader.skip(length)) return std::nullopt;
    if (i < answers) {
      keep_smallest(ttls.answer, sane_ttl(ttl));
    } else if (type == kTypeSoa && length >= kSoaNumbersSize + 2) {
      // MINIMUM is the last 32 bits of the RDATA, whatever the (compressed) names before it.
      const std::size_t minimum_at = data_start + length - 4;
      const std::uint32_t minimum = (std::uint32_t{message[minimum_at]} << 24) |
                                    (std::uint32_t{message[minimum_at + 1]} << 16) |
                                    (std::uint32_t{message[minimum_at + 2]} << 8) | message[minimum_at + 3];
      keep_smallest(ttls.negative, std::min(sane_ttl(ttl), sane_ttl(minimum)));
    }
  }
  return ttls;
}

}  // namespace osprey::net
