// The checks of input_limits.h. Metrics are walked by reflection so a field added to
// BenchmarkMetrics is checked without touching this file.
#include "coordinator/input_limits.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/op_rows.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;
namespace pb = google::protobuf;

absl::Status CheckName(absl::string_view what, absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  if (name.size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is ", name.size(), " bytes; at most ", kMaxNameBytes));
  }
  if (name == "." || name == "..") return absl::InvalidArgumentError(absl::StrCat(what, " '", name, "' is not a name"));
  for (char c : name) {
    if (c <= ' ' || c > '~' || c == '/' || c == '\\' || c == '"' || c == '\'') {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " may hold printable ASCII without '/', '\\', quotes or spaces only"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTextSize(absl::string_view what, absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(what, " is ", text.size(), " bytes; at most ", max_bytes));
}

absl::Status CheckSubmitJob(const v1::SubmitJobRequest& req) {
  const v1::JobSpec& spec = req.spec();
  if (auto st = CheckTextSize("description", spec.description(), kMaxDescriptionBytes); !st.ok()) return st;
  if (auto st = CheckTextSize("request_id", req.request_id(), kMaxNameBytes); !st.ok()) return st;
  if (spec.selector().devices_size() + spec.selector().agents_size() > kMaxSelectorEntries) {
    return absl::InvalidArgumentError(absl::StrCat("selector names more than ", kMaxSelectorEntries, " devices/agents"));
  }
  for (const auto& d : spec.selector().devices()) {
    if (auto st = CheckTextSize("selector device", d, kMaxLabelBytes); !st.ok()) return st;
  }
  for (const auto& a : spec.selector().agents()) {
    if (auto st = CheckTextSize("selector agent", a, kMaxLabelBytes); !st.ok()) return st;
  }
  const v1::BenchmarkFlags& f = spec.flags();
  if (f.extra_size() > kMaxExtraFlags) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxExtraFlags, " extra flags"));
  }
  for (const auto& e : f.extra()) {
    if (auto st = CheckTextSize("flag name", e.name(), kMaxFlagTextBytes); !st.ok()) return st;
    if (auto st = CheckTextSize(absl::StrCat("--", e.name().substr(0, 64)), e.value(), kMaxFlagTextBytes); !st.ok()) {
      return st;
    }
  }
  if (auto st = CheckTextSize("--input_layer", f.input_layer(), kMaxFlagTextBytes); !st.ok()) return st;
  if (auto st = CheckTextSize("--input_layer_shape", f.input_layer_shape(), kMaxFlagTextBytes); !st.ok()) return st;
  return absl::OkStatus();
}

namespace {

// Reports the first numeric field of `m` (recursing into messages) that is not finite,
// or negative where it cannot be.
absl::Status CheckNumbers(const pb::Message& m, const std::string& prefix) {
  const pb::Reflection* r = m.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const pb::FieldDescriptor* fd : fields) {
    if (fd->is_repeated()) continue;  // extra_lines: text
    const std::string name = prefix + fd->name();
    // Memory lines are deltas from the tool's start: they may be below zero.
    const bool may_be_negative = fd->name() == "memory_init_mb" || fd->name() == "memory_overall_mb";
    double v = 0;
    switch (fd->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_DOUBLE: v = r->GetDouble(m, fd); break;
      case pb::FieldDescriptor::CPPTYPE_FLOAT: v = r->GetFloat(m, fd); break;
      case pb::FieldDescriptor::CPPTYPE_INT64: v = static_cast<double>(r->GetInt64(m, fd)); break;
      case pb::FieldDescriptor::CPPTYPE_INT32: v = r->GetInt32(m, fd); break;
      case pb::FieldDescriptor::CPPTYPE_MESSAGE:
        if (auto st = CheckNumbers(r->GetMessage(m, fd), name + "."); !st.ok()) return st;
        continue;
      default: continue;
    }
    if (!std::isfinite(v)) return absl::InvalidArgumentError(absl::StrCat(name, " is ", v, ", not a number"));
    if (v < 0 && !may_be_negative) return absl::InvalidArgumentError(absl::StrCat(name, " is ", v, ", below zero"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckMetrics(const v1::BenchmarkMetrics& metrics) { return CheckNumbers(metrics, ""); }

void TruncateText(std::string* text, size_t max_bytes) {
  if (text->size() <= max_bytes) return;
  static constexpr absl::string_view kMark = "...[truncated]";
  size_t keep = max_bytes > kMark.size() ? max_bytes - kMark.size() : 0;
  // Back off continuation bytes so a multi-byte character is not split.
  while (keep > 0 && (static_cast<unsigned char>((*text)[keep]) & 0xC0) == 0x80) --keep;
  text->resize(keep);
  text->append(kMark.data(), std::min(kMark.size(), max_bytes - keep));
}

void SanitizeRunConditions(v1::RunConditions* c) {
  for (std::string* s : {c->mutable_plugged(), c->mutable_build_fingerprint(), c->mutable_apk_version_name()}) {
    TruncateText(s, kMaxLabelBytes);
  }
  if (c->has_battery_temp_c() && !std::isfinite(c->battery_temp_c())) c->clear_battery_temp_c();
  auto* temps = c->mutable_temperatures_c();
  int kept = 0;
  for (auto it = temps->begin(); it != temps->end();) {
    if (!std::isfinite(it->second) || it->first.size() > kMaxLabelBytes || kept >= kMaxConditionEntries) {
      it = temps->erase(it);
    } else {
      ++kept;
      ++it;
    }
  }
  auto* clusters = c->mutable_cpu_clusters();
  if (clusters->size() > kMaxConditionEntries) {
    clusters->DeleteSubrange(kMaxConditionEntries, clusters->size() - kMaxConditionEntries);
  }
  for (v1::CpuCluster& cluster : *clusters) {
    TruncateText(cluster.mutable_governor(), kMaxLabelBytes);
    for (auto* cpus : {cluster.mutable_cpus(), cluster.mutable_online_cpus()}) {
      if (cpus->size() > kMaxConditionEntries) cpus->Truncate(kMaxConditionEntries);
    }
  }
}

absl::Status SanitizeDeviceInfo(v1::DeviceInfo* d) {
  if (auto st = CheckName("serial", d->serial()); !st.ok()) return st;
  for (std::string* s : {d->mutable_adb_state(), d->mutable_model(), d->mutable_manufacturer(), d->mutable_soc(),
                         d->mutable_android_version(), d->mutable_abi()}) {
    TruncateText(s, kMaxLabelBytes);
  }
  if (!std::isfinite(d->battery_temp_c())) d->clear_battery_temp_c();
  if (d->has_conditions()) SanitizeRunConditions(d->mutable_conditions());
  return absl::OkStatus();
}

absl::Status SanitizeHello(v1::AgentHello* hello, std::string* dropped) {
  TruncateText(hello->mutable_hostname(), kMaxLabelBytes);
  TruncateText(hello->mutable_version(), kMaxLabelBytes);
  auto* devices = hello->mutable_devices();
  for (int i = 0; i < devices->size();) {
    if (auto st = SanitizeDeviceInfo(devices->Mutable(i)); !st.ok()) {
      if (!dropped->empty()) *dropped += "; ";
      *dropped += std::string(st.message());
      devices->DeleteSubrange(i, 1);
      continue;
    }
    ++i;
  }
  return absl::OkStatus();
}

void SanitizeOpsAndDelegation(v1::RunResult* r) {
  auto* ops = r->mutable_ops();
  if (ops->size() > static_cast<int>(kMaxOpRowsPerRun)) {
    ops->DeleteSubrange(static_cast<int>(kMaxOpRowsPerRun), ops->size() - static_cast<int>(kMaxOpRowsPerRun));
  }
  // A number that cannot be a time or a share reads as 0 (absent), like a field not printed.
  auto finite = [](double v) { return std::isfinite(v) && v >= 0 ? v : 0.0; };
  for (v1::OpProfileRow& row : *ops) {
    TruncateText(row.mutable_node_type(), kMaxLabelBytes);
    TruncateText(row.mutable_name(), kMaxLabelBytes);
    row.set_first_ms(finite(row.first_ms()));
    row.set_avg_ms(finite(row.avg_ms()));
    row.set_percent(finite(row.percent()));
    row.set_cdf_percent(finite(row.cdf_percent()));
    row.set_mem_kb(finite(row.mem_kb()));
    if (row.times_called() < 0) row.set_times_called(0);
  }
  auto* warnings = r->mutable_warnings();
  if (warnings->size() > kMaxRunWarnings) warnings->DeleteSubrange(kMaxRunWarnings, warnings->size() - kMaxRunWarnings);
  for (std::string& w : *warnings) TruncateText(&w, kMaxMessageTextBytes);
  if (r->has_delegation()) {
    v1::Delegation* d = r->mutable_delegation();
    TruncateText(d->mutable_delegate(), kMaxLabelBytes);
    TruncateText(d->mutable_kernel(), kMaxLabelBytes);
    TruncateText(d->mutable_execution(), kMaxLabelBytes);
    TruncateText(d->mutable_warning(), kMaxMessageTextBytes);
    if (d->has_nodes_delegated() && d->nodes_delegated() < 0) d->clear_nodes_delegated();
    if (d->has_nodes_total() && d->nodes_total() < 0) d->clear_nodes_total();
    if (d->has_partitions() && d->partitions() < 0) d->clear_partitions();
  }
}

bool SanitizeRunEvent(v1::RunEvent* e) {
  bool changed = false;
  switch (e->event_case()) {
    case v1::RunEvent::kRawLog:
      for (std::string& line : *e->mutable_raw_log()->mutable_lines()) TruncateText(&line, kMaxLogLineBytes);
      break;
    case v1::RunEvent::kPartialMetrics:
      if (!CheckMetrics(e->partial_metrics()).ok()) {
        e->clear_partial_metrics();
        e->mutable_raw_log();  // an empty raw_log: applied (and acknowledged) as nothing
        changed = true;
      }
      break;
    case v1::RunEvent::kResult: {
      v1::RunResult* r = e->mutable_result();
      TruncateText(r->mutable_error_message(), kMaxMessageTextBytes);
      TruncateText(r->mutable_result_file_note(), kMaxMessageTextBytes);
      if (r->conditions().has_before()) SanitizeRunConditions(r->mutable_conditions()->mutable_before());
      if (r->conditions().has_after()) SanitizeRunConditions(r->mutable_conditions()->mutable_after());
      SanitizeOpsAndDelegation(r);
      if (r->state() == v1::RUN_STATE_DONE) {
        if (auto st = CheckMetrics(r->metrics()); !st.ok()) {
          r->set_state(v1::RUN_STATE_FAILED);
          r->clear_metrics();
          r->set_error_class(v1::ERROR_CLASS_INTERNAL);
          r->set_error_message(absl::StrCat("the agent reported metrics that cannot be true: ", st.message()));
          changed = true;
        }
      }
      break;
    }
    default:
      break;
  }
  return changed;
}

}  // namespace benchlab::coordinator
