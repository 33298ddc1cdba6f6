// Verdicts of CompareJobs: raw per-run values of each device from the DONE runs, the
// statistics of common/stats on them, Holm over every row of the response.
#include "coordinator/verdicts.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/flags/benchmark_flags.h"
#include "common/stats/verdict.h"
#include "coordinator/aggregation.h"
#include "google/protobuf/util/message_differencer.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;

// The tool prints its timed-runs average twice ("count=... avg=" and "Inference (avg)"),
// so the two names are one measurement.
constexpr char kAvgUs[] = "avg_us";

// The other name of the same measurement, or "" for any other metric.
std::string Twin(const std::string& metric) {
  if (metric == kAvgUs) return kPrimaryMetric;
  if (metric == kPrimaryMetric) return kAvgUs;
  return "";
}

// Device id -> metric -> the DONE runs' values, in run order.
using Samples = std::map<std::string, std::map<std::string, std::vector<double>>>;

Samples DoneSamples(const v1::GetResultsResponse& r) {
  Samples out;
  for (const auto& run : r.runs()) {
    if (run.state() != v1::RUN_STATE_DONE) continue;
    for (const auto& [name, v] : MetricValues(run.metrics())) out[run.device_id()][name].push_back(v);
  }
  return out;
}

std::string FlagsText(const v1::BenchmarkFlags& f) {
  auto rendered = RenderFlags(f);
  if (!rendered.ok() || rendered->empty()) return "(tool defaults)";
  return absl::StrJoin(*rendered, " ");
}

std::string Short(const std::string& sha) { return sha.substr(0, 12); }

}  // namespace

absl::StatusOr<std::vector<std::string>> CompareMetrics(const v1::CompareJobsRequest& req) {
  std::vector<std::string> out;
  const auto& known = MetricNames();
  for (const auto& m : req.metrics()) {
    if (std::find(known.begin(), known.end(), m) == known.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown metric \"", m, "\"; known metrics: ",
                                                     absl::StrJoin(known, ", ")));
    }
    const std::string twin = Twin(m);
    if (std::find(out.begin(), out.end(), m) != out.end()) continue;
    if (!twin.empty() && std::find(out.begin(), out.end(), twin) != out.end()) continue;
    out.push_back(m);
  }
  if (out.empty()) out.push_back(kPrimaryMetric);
  return out;
}

std::vector<std::string> JobDifferences(const v1::JobSpec& baseline, const v1::JobSpec& candidate) {
  std::vector<std::string> out;
  if (!google::protobuf::util::MessageDifferencer::Equals(baseline.flags(), candidate.flags())) {
    out.push_back(absl::StrCat("the jobs use different tool flags: baseline ", FlagsText(baseline.flags()),
                               "; candidate ", FlagsText(candidate.flags())));
  }
  if (baseline.apk_sha256() != candidate.apk_sha256()) {
    out.push_back(absl::StrCat("the jobs use different benchmark APKs: baseline ", Short(baseline.apk_sha256()),
                               ", candidate ", Short(candidate.apk_sha256())));
  }
  if (baseline.cooldown_s() != candidate.cooldown_s()) {
    out.push_back(absl::StrCat("the jobs rest the phones differently between runs: cooldown ",
                               baseline.cooldown_s(), " s vs ", candidate.cooldown_s(), " s"));
  }
  return out;
}

namespace {

// What a job's done runs on one phone started in.
struct PhoneRunStart {
  std::set<std::string> fingerprints;
  std::vector<double> battery_temp_c;
  int worst_thermal = v1::THERMAL_STATUS_UNSPECIFIED;
};

std::map<std::string, PhoneRunStart> RunStarts(const v1::GetResultsResponse& r) {
  std::map<std::string, PhoneRunStart> out;
  for (const auto& run : r.runs()) {
    if (run.state() != v1::RUN_STATE_DONE || !run.conditions().has_before()) continue;
    const v1::RunConditions& c = run.conditions().before();
    PhoneRunStart& p = out[run.device_id()];
    if (!c.build_fingerprint().empty()) p.fingerprints.insert(c.build_fingerprint());
    if (c.has_battery_temp_c()) p.battery_temp_c.push_back(c.battery_temp_c());
    p.worst_thermal = std::max<int>(p.worst_thermal, c.thermal_status());
  }
  return out;
}

double MedianOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

std::vector<std::string> PhoneDifferences(const v1::GetResultsResponse& baseline,
                                          const v1::GetResultsResponse& candidate) {
  // A phone whose start temperature moved this much runs at another clock (devsim and
  // real SoCs throttle from the low 40s), so its change is not the model's alone.
  constexpr double kTempApartC = 5;
  std::vector<std::string> out;
  const auto bs = RunStarts(baseline), cs = RunStarts(candidate);
  for (const auto& [id, b] : bs) {
    auto it = cs.find(id);
    if (it == cs.end()) continue;
    const PhoneRunStart& c = it->second;
    if (!b.fingerprints.empty() && !c.fingerprints.empty() && b.fingerprints != c.fingerprints) {
      out.push_back(absl::StrCat(id, " ran another Android build: baseline ", absl::StrJoin(b.fingerprints, ", "),
                                 "; candidate ", absl::StrJoin(c.fingerprints, ", ")));
    }
    if (!b.battery_temp_c.empty() && !c.battery_temp_c.empty()) {
      const double bt = MedianOf(b.battery_temp_c), ct = MedianOf(c.battery_temp_c);
      if (std::abs(ct - bt) > kTempApartC) {
        out.push_back(absl::StrFormat("%s started its runs at another temperature: battery %.1f C (baseline) vs "
                                      "%.1f C (candidate); gate both jobs (--max-battery-temp)",
                                      id, bt, ct));
      }
    }
    if (b.worst_thermal != c.worst_thermal && b.worst_thermal != v1::THERMAL_STATUS_UNSPECIFIED &&
        c.worst_thermal != v1::THERMAL_STATUS_UNSPECIFIED) {
      out.push_back(absl::StrCat(id, " was throttled differently: thermal status up to ",
                                 absl::AsciiStrToLower(v1::ThermalStatus_Name(static_cast<v1::ThermalStatus>(b.worst_thermal)).substr(15)),
                                 " (baseline) vs ",
                                 absl::AsciiStrToLower(v1::ThermalStatus_Name(static_cast<v1::ThermalStatus>(c.worst_thermal)).substr(15)),
                                 " (candidate)"));
    }
  }
  return out;
}

absl::StatusOr<v1::CompareJobsResponse> CompareResults(const v1::GetResultsResponse& baseline,
                                                       const v1::GetResultsResponse& candidate,
                                                       const v1::CompareJobsRequest& req) {
  auto metrics = CompareMetrics(req);
  if (!metrics.ok()) return metrics.status();
  stats::VerdictOptions options;
  if (req.threshold_pct() != 0) {
    if (!(req.threshold_pct() >= 0.01 && req.threshold_pct() <= 50)) {
      return absl::InvalidArgumentError(absl::StrCat("threshold_pct ", req.threshold_pct(),
                                                     " is outside 0.01-50 (percent; 0 = 2)"));
    }
    options.threshold_pct = req.threshold_pct();
  }
  const Samples bs = DoneSamples(baseline), cs = DoneSamples(candidate);
  v1::CompareJobsResponse resp;
  resp.set_threshold_pct(options.threshold_pct);
  resp.set_ci_level(options.ci_level);
  resp.set_alpha(options.alpha);
  for (auto& w : JobDifferences(baseline.job().spec(), candidate.job().spec())) resp.add_warnings(std::move(w));
  for (auto& w : PhoneDifferences(baseline, candidate)) resp.add_warnings(std::move(w));

  std::vector<stats::SampleComparison> family;
  std::vector<v1::MetricComparison*> rows;
  for (const auto& device : bs) {
    // Named members, not a structured binding: older clang cannot capture one in a lambda.
    const std::string& id = device.first;
    const auto& bm = device.second;
    auto c = cs.find(id);
    if (c == cs.end()) {
      resp.add_baseline_only(id);
      continue;
    }
    v1::DeviceComparison* dc = resp.add_devices();
    dc->set_device_id(id);
    for (const auto& asked : *metrics) {
      // The asked name, or its twin when this device's runs reported only that one.
      std::string name = asked;
      auto has = [&](const std::string& m) { return bm.contains(m) && c->second.contains(m); };
      if (!has(name) && !Twin(name).empty() && has(Twin(name))) name = Twin(name);
      if (!has(name)) continue;
      const std::vector<double>& b = bm.at(name);
      const std::vector<double>& v = c->second.at(name);
      v1::MetricComparison* mc = dc->add_metrics();
      *mc = Compare(Aggregate(name, b), Aggregate(name, v));
      stats::SampleComparison s = stats::CompareSamples(b, v, options);
      mc->set_shift_pct(s.change_pct);
      mc->set_ci_low_pct(s.ci_low_pct);
      mc->set_ci_high_pct(s.ci_high_pct);
      mc->set_ci_confidence(s.ci_confidence);
      mc->set_p_value(s.p_value);
      mc->set_p_exact(s.exact);
      family.push_back(s);
      rows.push_back(mc);
    }
  }
  for (const auto& [id, unused] : cs) {
    if (!bs.contains(id)) resp.add_candidate_only(id);
  }
  const std::vector<stats::Decision> decisions = stats::DecideFamily(family, options);
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i]->set_verdict(std::string(stats::VerdictWord(decisions[i].verdict)));
    rows[i]->set_p_adjusted(decisions[i].p_adjusted);
    rows[i]->set_more_repeats(decisions[i].more_repeats);
  }
  return resp;
}

}  // namespace benchlab::coordinator
