#include "net/srv_order.hpp"

#include <algorithm>

namespace osprey::net {

bool service_refused(const std::vector<SrvRecord>& records) {
  return !records.empty() && std::all_of(records.begin(), records.end(),
                                         [](const SrvRecord& record) { return record.target == "."; });
}

std::vector<SrvRecord> order_srv_records(std::vector<SrvRecord> records, const UniformPick& pick) {
  std::erase_if(records,
                [](const SrvRecord& record) { return record.target == "." || record.target.empty(); });
  std::stable_sort(records.begin(), records.end(),
                   [](const SrvRecord& a, const SrvRecord& b) { return a.priority < b.priority; });
  std::vector<SrvRecord> ordered;
  ordered.reserve(records.size());
  auto group_begin = records.begin();
  while (group_begin != records.end()) {
    const auto group_end = std::find_if(group_begin, records.end(), [&](const SrvRecord& record) {
      return record.priority != group_begin->priority;
    });
    // RFC 2782: "arrange all SRV RRs (that have not been ordered yet) in any order, except that
    // all those with weight 0 are placed at the beginning of the list", so a weight-0 record is
    // picked only when the random number is 0 (or when it is all that is left).
    std::vector<SrvRecord> left(group_begin, group_end);
    std::stable_partition(left.begin(), left.end(),
                          [](const SrvRecord& record) { return record.weight == 0; });
    while (!left.empty()) {
      std::uint32_t total = 0;
      for (const SrvRecord& record : left) total += record.weight;  // at most 65535 * 65535 fits
      // "choose a uniform random number between 0 and the sum computed (inclusive), and select
      // the RR whose running sum value is the first in the selected order which is greater
      // than or equal to the random number selected."
      const std::uint32_t chosen = total == 0 || left.size() == 1 ? 0 : std::min(pick(total), total);
      std::uint32_t running = 0;
      auto selected = left.begin();
      for (auto it = left.begin(); it != left.end(); ++it) {
        running += it->weight;
        if (running >= chosen) {
          selected = it;
          break;
        }
      }
      ordered.push_back(std::move(*selected));
      left.erase(selected);
    }
    group_begin = group_end;
  }
  return ordered;
}

}  // namespace osprey::net
