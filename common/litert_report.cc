// Reads the LiteRT results block line by line (litert_report.h). Written from the format
// only: each line is "<Label>:" padded with spaces, a number, and a unit.
#include "common/litert_report.h"

#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace benchlab {
namespace {

constexpr absl::string_view kHeader = "========== BENCHMARK RESULTS ==========";

// "  12.34 ms (50 runs)" -> 12.34 and 50 (the unit and the runs part are optional).
bool ReadValue(absl::string_view text, absl::string_view unit, double* value, std::optional<int64_t>* runs) {
  text = absl::StripAsciiWhitespace(text);
  size_t end = 0;
  while (end < text.size() && (absl::ascii_isdigit(text[end]) || text[end] == '.' || text[end] == '-' ||
                               text[end] == 'e' || text[end] == '+')) {
    ++end;
  }
  if (end == 0 || !absl::SimpleAtod(text.substr(0, end), value)) return false;
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(text.substr(end));
  if (!unit.empty() && !absl::ConsumePrefix(&rest, unit)) return false;
  rest = absl::StripLeadingAsciiWhitespace(rest);
  if (runs != nullptr && absl::ConsumePrefix(&rest, "(") && absl::ConsumeSuffix(&rest, " runs)")) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(rest, &n)) return false;
    *runs = n;
  }
  return true;
}

}  // namespace

LitertLine ReadLitertReportLine(absl::string_view msg, LitertReport* report, std::string* problem) {
  msg = absl::StripAsciiWhitespace(msg);
  if (msg == kHeader) {
    *report = LitertReport();
    report->started = true;
    return LitertLine::kKnown;
  }
  if (!report->started || report->ended) return LitertLine::kOther;
  if (!msg.empty() && msg.find_first_not_of('=') == absl::string_view::npos && msg.size() >= 10) {
    report->ended = true;
    return LitertLine::kKnown;
  }
  if (msg == "Memory Usage:" || msg == "No inference runs were performed." ||
      absl::StartsWith(msg, "No throughput data available") || absl::StartsWith(msg, "Peak memory usage not available")) {
    return LitertLine::kKnown;
  }
  absl::string_view rest = msg;
  if (absl::ConsumePrefix(&rest, "Signature name:")) {
    report->signature = std::string(absl::StripAsciiWhitespace(rest));
    return LitertLine::kKnown;
  }
  struct Field {
    absl::string_view label;
    absl::string_view unit;
    std::optional<double> LitertReport::*value;
    std::optional<int64_t> LitertReport::*runs;
  };
  static constexpr Field kFields[] = {
      {"Model initialization:", "ms", &LitertReport::init_ms, nullptr},
      {"Warmup (first):", "ms", &LitertReport::warmup_first_ms, nullptr},
      {"First inference:", "ms", &LitertReport::warmup_first_ms, nullptr},
      {"Warmup (avg):", "ms", &LitertReport::warmup_avg_ms, &LitertReport::warmup_runs},
      {"Inference (avg):", "ms", &LitertReport::inference_avg_ms, &LitertReport::inference_runs},
      {"Inference (min):", "ms", &LitertReport::inference_min_ms, nullptr},
      {"Inference (max):", "ms", &LitertReport::inference_max_ms, nullptr},
      {"Inference (std):", "", &LitertReport::inference_std_ms, nullptr},
      {"Throughput:", "MB/s", &LitertReport::throughput_mb_per_s, nullptr},
      {"Init footprint:", "MB", &LitertReport::init_footprint_mb, nullptr},
      {"Overall footprint:", "MB", &LitertReport::overall_footprint_mb, nullptr},
      {"Peak memory:", "MB", &LitertReport::peak_memory_mb, nullptr},
  };
  for (const Field& f : kFields) {
    rest = msg;
    if (!absl::ConsumePrefix(&rest, f.label)) continue;
    double v = 0;
    std::optional<int64_t> runs;
    if (!ReadValue(rest, f.unit, &v, f.runs == nullptr ? nullptr : &runs)) {
      *problem = absl::StrCat(f.label, " '", absl::StripAsciiWhitespace(rest), "' is not a number of ",
                              f.unit.empty() ? "ms" : f.unit);
      return LitertLine::kBadValue;
    }
    report->*(f.value) = v;
    if (f.runs != nullptr && runs) report->*(f.runs) = runs;
    return LitertLine::kKnown;
  }
  return LitertLine::kOther;
}

}  // namespace benchlab
