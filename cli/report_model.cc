// RunsByPhone and ChartMetric: the grouping both report formats use.
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/compare_view.h"
#include "cli/conditions_view.h"
#include "cli/lab_format.h"
#include "cli/report.h"
#include "google/protobuf/text_format.h"

namespace benchlab::cli {

namespace v1 = benchlab::v1;

std::string ChartMetric(const v1::GetResultsResponse& results) {
  for (const auto& r : results.runs()) {
    if (r.state() == v1::RUN_STATE_DONE && MetricValue(r.metrics(), "inference_avg_us")) return "inference_avg_us";
  }
  return "avg_us";
}

std::vector<PhoneRuns> RunsByPhone(const v1::GetResultsResponse& results, const std::string& metric) {
  std::vector<PhoneRuns> out;
  std::map<std::string, size_t> index;
  for (const auto& r : results.runs()) {
    auto [it, added] = index.try_emplace(r.device_id(), out.size());
    if (added) out.push_back({r.device_id(), {}, {}});
    PhoneRuns& p = out[it->second];
    p.runs.push_back(&r);
    if (r.state() == v1::RUN_STATE_DONE && MetricValue(r.metrics(), metric)) p.plotted.push_back(&r);
  }
  return out;
}

DocTable SpecTable(const v1::JobSpec& spec) {
  DocTable t{{"FIELD", "VALUE"}, {}};
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  spec.GetReflection()->ListFields(spec, &fields);
  const auto* reflection = spec.GetReflection();
  for (const auto* f : fields) {
    std::string value;
    if (f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        std::vector<std::string> items;
        for (int i = 0; i < reflection->FieldSize(spec, f); ++i) {
          items.push_back(ToJson(reflection->GetRepeatedMessage(spec, f, i)));
        }
        value = absl::StrCat("[", absl::StrJoin(items, ","), "]");
      } else {
        value = ToJson(reflection->GetMessage(spec, f));
      }
    } else {
      const int n = f->is_repeated() ? reflection->FieldSize(spec, f) : 1;
      std::vector<std::string> items;
      for (int i = 0; i < n; ++i) {
        std::string item;
        google::protobuf::TextFormat::PrintFieldValueToString(spec, f, f->is_repeated() ? i : -1, &item);
        items.push_back(std::move(item));
      }
      value = absl::StrJoin(items, ", ");
    }
    t.rows.push_back({f->name(), value});
  }
  return t;
}

DocTable AggregatesTable(const v1::GetResultsResponse& results) {
  DocTable t{{"DEVICE", "METRIC", "N", "MEDIAN", "MEAN", "STDDEV", "MIN", "MAX"}, {}};
  for (const auto& d : results.devices()) {
    for (const auto& a : d.aggregates()) {
      t.rows.push_back({d.device_id(), a.metric(), absl::StrCat(a.n()), FormatNumber(a.median()),
                        FormatNumber(a.mean()), FormatNumber(a.stddev()), FormatNumber(a.min()), FormatNumber(a.max())});
    }
  }
  return t;
}

DocTable ConditionsTable(const v1::GetResultsResponse& results) {
  static const char* kColumns[] = {"battery_temp_c", "battery_level_pct", "thermal_status", "cpu_freq_khz"};
  DocTable t{{"RUN", "DEVICE"}, {}};
  for (const char* c : kColumns) t.header.push_back(absl::StrCat(c, " (before -> after)"));
  const std::vector<std::string>& header = ConditionsCsvHeader();
  auto column = [&](const std::string& name) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    return header.size();
  };
  for (const auto& r : results.runs()) {
    if (!r.has_conditions()) continue;
    std::vector<std::string> values = ConditionsCsvValues(r);
    auto cell = [&](const std::string& name) {
      size_t i = column(name);
      return i < values.size() && !values[i].empty() ? values[i] : std::string("-");
    };
    std::vector<std::string> row = {r.run_id(), r.device_id()};
    for (const char* c : kColumns) {
      row.push_back(absl::StrCat(cell(absl::StrCat("before_", c)), " -> ", cell(absl::StrCat("after_", c))));
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

DocTable VerdictsTable(const v1::CompareJobsResponse& comparison) {
  return {ComparisonHeader(comparison), ComparisonRows(comparison)};
}

std::vector<const v1::Run*> FailedRuns(const v1::GetResultsResponse& results) {
  std::vector<const v1::Run*> out;
  for (const auto& r : results.runs()) {
    if (r.state() == v1::RUN_STATE_FAILED) out.push_back(&r);
  }
  return out;
}

DocTable FailuresTable(const v1::GetResultsResponse& results) {
  DocTable t{{"RUN", "DEVICE", "ATTEMPT", "ERROR", "MESSAGE"}, {}};
  for (const v1::Run* r : FailedRuns(results)) {
    t.rows.push_back({r->run_id(), r->device_id(), absl::StrCat(r->attempt()), ErrorClassName(r->error_class()),
                      r->error_message().substr(0, r->error_message().find('\n'))});
  }
  return t;
}

}  // namespace benchlab::cli
