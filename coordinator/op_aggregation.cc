// Groups rows by (node type, name) in first-seen order, then reduces each group with the
// same statistics the metrics use (Aggregate), so an operator's spread reads like a metric's.
#include "coordinator/op_aggregation.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "coordinator/aggregation.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

std::vector<v1::OpAggregate> AggregateOps(const std::vector<std::vector<v1::OpProfileRow>>& runs) {
  struct Group {
    std::vector<double> avg_ms, first_ms, percent;
    int64_t times_called = 0;
  };
  std::map<std::pair<std::string, std::string>, Group> groups;
  for (const auto& rows : runs) {
    for (const v1::OpProfileRow& row : rows) {
      Group& g = groups[{row.node_type(), row.name()}];
      g.avg_ms.push_back(row.avg_ms());
      g.first_ms.push_back(row.first_ms());
      g.percent.push_back(row.percent());
      g.times_called = row.times_called();
    }
  }
  std::vector<v1::OpAggregate> out;
  out.reserve(groups.size());
  for (auto& [key, g] : groups) {
    v1::OpAggregate& a = out.emplace_back();
    a.set_node_type(key.first);
    a.set_name(key.second);
    const v1::Aggregate avg = Aggregate("avg_ms", g.avg_ms);
    a.set_n(avg.n());
    a.set_avg_ms(avg.mean());
    a.set_avg_ms_stddev(avg.stddev());
    a.set_avg_ms_min(avg.min());
    a.set_avg_ms_max(avg.max());
    a.set_first_ms(Aggregate("first_ms", g.first_ms).mean());
    a.set_percent(Aggregate("percent", g.percent).mean());
    a.set_times_called(g.times_called);
  }
  std::stable_sort(out.begin(), out.end(), [](const v1::OpAggregate& x, const v1::OpAggregate& y) {
    return x.avg_ms() > y.avg_ms();
  });
  return out;
}

}  // namespace benchlab::coordinator
