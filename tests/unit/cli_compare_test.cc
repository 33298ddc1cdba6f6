// `benchlab compare`'s rendering (cli/compare_view.h): verdict words, the repeats hint,
// the interval and p-value columns, one-sided devices, warnings, escaping, --fail-on's test.
#include <gtest/gtest.h>

#include <sstream>

#include "absl/strings/match.h"
#include "cli/cli.h"
#include "cli/compare_view.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

v1::CompareJobsResponse Response() {
  v1::CompareJobsResponse r;
  r.set_ci_level(0.95);
  r.set_threshold_pct(2);
  v1::DeviceComparison* d = r.add_devices();
  d->set_device_id("host1/A");
  v1::MetricComparison* m = d->add_metrics();
  m->set_metric("inference_avg_us");
  m->mutable_baseline()->set_median(10000);
  m->mutable_baseline()->set_n(8);
  m->mutable_candidate()->set_median(10512.5);
  m->mutable_candidate()->set_n(7);
  m->set_shift_pct(5.125);
  m->set_ci_low_pct(3.04);
  m->set_ci_high_pct(7.26);
  m->set_p_value(0.00031);
  m->set_p_adjusted(0.00062);
  m->set_verdict("slower");
  v1::DeviceComparison* e = r.add_devices();
  e->set_device_id("host1/B\x1b[2J");
  v1::MetricComparison* n = e->add_metrics();
  n->set_metric("inference_avg_us");
  n->set_verdict("inconclusive");
  n->set_more_repeats(6);
  n->set_shift_pct(-0.4);
  n->set_ci_low_pct(-2.9);
  n->set_ci_high_pct(2.1);
  n->set_p_value(0.7);
  n->set_p_adjusted(0.7);
  r.add_candidate_only("host2/C");
  r.add_warnings("the jobs use different tool flags: baseline --num_threads=1; candidate --num_threads=4");
  return r;
}

TEST(CompareView, VerdictCellStartsWithTheWord) {
  v1::MetricComparison m;
  for (const char* w : {"faster", "slower", "same"}) {
    m.set_verdict(w);
    EXPECT_EQ(VerdictCell(m), w);
  }
  m.set_verdict("inconclusive");
  m.set_more_repeats(12);
  EXPECT_EQ(VerdictCell(m), "inconclusive, about 12 more repeats would decide");
  m.set_more_repeats(0);
  EXPECT_EQ(VerdictCell(m), "inconclusive");
}

TEST(CompareView, TableShowsChangeIntervalPAndRepeats) {
  const std::string out = RenderComparison(Response());
  EXPECT_TRUE(absl::StrContains(out, "95% CI")) << out;
  EXPECT_TRUE(absl::StrContains(out, "+5.1%")) << out;
  EXPECT_TRUE(absl::StrContains(out, "[+3.0%, +7.3%]")) << out;
  EXPECT_TRUE(absl::StrContains(out, "0.00031 (0.00062)")) << out;
  EXPECT_TRUE(absl::StrContains(out, "8/7")) << out;
  EXPECT_TRUE(absl::StrContains(out, "10512.5")) << out;
  EXPECT_TRUE(absl::StrContains(out, "slower")) << out;
  EXPECT_TRUE(absl::StrContains(out, "inconclusive, about 6 more repeats would decide")) << out;
  EXPECT_TRUE(absl::StrContains(out, "only in the candidate: host2/C")) << out;
  EXPECT_TRUE(absl::StrContains(out, "warning: the jobs use different tool flags")) << out;
  EXPECT_FALSE(absl::StrContains(out, "\x1b")) << "escaped";
  EXPECT_TRUE(absl::StrContains(out, "host1/B\\x1b[2J")) << out;
}

TEST(CompareView, NothingInCommonIsSaid) {
  v1::CompareJobsResponse r;
  r.add_baseline_only("h/A");
  const std::string out = RenderComparison(r);
  EXPECT_TRUE(absl::StrContains(out, "no device has results in both jobs")) << out;
  EXPECT_TRUE(absl::StrContains(out, "only in the baseline: h/A")) << out;
}

TEST(CompareView, AnyVerdictLooksAtEveryRow) {
  v1::CompareJobsResponse r = Response();
  EXPECT_TRUE(AnyVerdict(r, "slower"));
  EXPECT_TRUE(AnyVerdict(r, "inconclusive"));
  EXPECT_FALSE(AnyVerdict(r, "faster"));
  EXPECT_FALSE(AnyVerdict(v1::CompareJobsResponse(), "slower"));
}

TEST(CompareCommand, BadFailOnAndThresholdAreUsageErrorsBeforeAnyNetwork) {
  std::istringstream in;
  std::ostringstream out, err;
  const char* bad_fail_on[] = {"benchlab", "compare", "j1", "j2", "--fail-on", "worse", "--coordinator", "127.0.0.1:1"};
  EXPECT_EQ(RunCli(8, bad_fail_on, {&in, &out, &err}), kExitUsage) << err.str();
  const char* bad_threshold[] = {"benchlab", "compare", "j1", "j2", "--threshold", "0", "--coordinator", "127.0.0.1:1"};
  EXPECT_EQ(RunCli(8, bad_threshold, {&in, &out, &err}), kExitUsage) << err.str();
}

}  // namespace
}  // namespace benchlab::cli
