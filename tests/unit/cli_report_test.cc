// `benchlab report`'s writers: the SVG chart (one point per run), the HTML and Markdown
// documents (every lab string escaped, no script, nothing outside the file) and the
// escapes they use (common/markup_text.h).
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli/report.h"
#include "cli/report_chart.h"
#include "common/markup_text.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

constexpr char kEvilDevice[] = "host1/<script>alert(1)</script>|**x**`[l](https://evil.example)";

// A finished job: 3 done runs on the evil-named phone, 2 done and 1 failed on another.
v1::GetResultsResponse Results() {
  v1::GetResultsResponse r;
  r.mutable_job()->set_job_id("j000007");
  r.mutable_job()->mutable_spec()->set_description("desc <img src=x onerror=alert(1)>");
  r.mutable_job()->mutable_spec()->mutable_flags()->set_num_threads(4);
  r.mutable_job()->mutable_spec()->set_repeats(3);
  auto add = [&](const std::string& device, int repeat, v1::RunState state, double value) {
    v1::Run* run = r.add_runs();
    run->set_run_id(absl::StrCat("j000007.", device.size() % 7, ".", repeat));
    run->set_device_id(device);
    run->set_state(state);
    run->set_attempt(1);
    if (state == v1::RUN_STATE_DONE) {
      run->mutable_metrics()->set_inference_avg_us(value);
      run->mutable_conditions()->mutable_before()->set_battery_temp_c(30.5);
      run->mutable_conditions()->mutable_after()->set_battery_temp_c(33);
    } else {
      run->set_error_class(v1::ERROR_CLASS_APP_CRASHED);
      run->set_error_message("the app crashed\n  E tflite: </pre><script>x()</script> ``` fence");
    }
  };
  for (int i = 0; i < 3; ++i) add(kEvilDevice, i, v1::RUN_STATE_DONE, 1000 + 10 * i);
  add("host2/B", 0, v1::RUN_STATE_DONE, 2000);
  add("host2/B", 1, v1::RUN_STATE_DONE, 2100);
  add("host2/B", 2, v1::RUN_STATE_FAILED, 0);
  v1::DeviceResults* d = r.add_devices();
  d->set_device_id(kEvilDevice);
  v1::Aggregate* a = d->add_aggregates();
  a->set_metric("inference_avg_us");
  a->set_n(3);
  a->set_median(1010);
  return r;
}

TEST(MarkupTextTest, HtmlAndMarkdownShowTextNotMarkup) {
  EXPECT_EQ(EscapeHtml("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  EXPECT_EQ(EscapeHtml("a\nb\x1b[2J"), "a\\nb\\x1b[2J");
  EXPECT_EQ(EscapeHtmlLines("a<\nb"), "a&lt;\nb");
  EXPECT_EQ(EscapeMarkdown("a|b*c_[d](e)<f>"), "a\\|b\\*c\\_\\[d\\]\\(e\\)\\<f\\>");
  EXPECT_EQ(EscapeMarkdown("x\ny"), "x\\\\ny");  // the newline shown, its backslash escaped
}

TEST(RunsChartTest, OnePointPerRunAndEscapedLabels) {
  RunsChart chart{"<b>phone</b>", "inference_avg_us", {{10, "r1 <x>"}, {12, "r2"}, {11, "r3"}, {30, "r4"}}};
  std::string svg = RenderRunsChart(chart);
  EXPECT_EQ(Count(svg, "<circle class=\"run\""), 4u);
  EXPECT_EQ(Count(svg, "<line class=\"median\""), 1u);
  EXPECT_EQ(Count(svg, "<rect class=\"spread\""), 1u);
  EXPECT_FALSE(absl::StrContains(svg, "<b>"));
  EXPECT_TRUE(absl::StrContains(svg, "r1 &lt;x&gt;"));
  EXPECT_EQ(RenderRunsChart({"p", "m", {}}), "");
  Spread s = SpreadOf({4, 1, 3, 2});
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_DOUBLE_EQ(s.q1, 1.75);
  EXPECT_DOUBLE_EQ(s.q3, 3.25);
}

TEST(HtmlReportTest, SelfContainedEscapedAndOnePointPerDoneRun) {
  ReportInput in;
  in.results = Results();
  in.baseline_job_id = "j000006<i>";
  v1::DeviceComparison* dc = in.comparison.add_devices();
  dc->set_device_id(kEvilDevice);
  v1::MetricComparison* mc = dc->add_metrics();
  mc->set_metric("inference_avg_us");
  mc->set_verdict("slower");
  in.comparison.add_warnings("flags differ: --use_gpu=<true>");
  std::string html = RenderHtmlReport(in);
  EXPECT_EQ(Count(html, "<circle class=\"run\""), 5u);  // the done runs
  EXPECT_EQ(Count(html, "<svg"), 2u);
  EXPECT_EQ(Count(html, "<script"), 0u) << html;
  EXPECT_EQ(Count(html, "<img"), 0u);
  EXPECT_EQ(Count(html, "<i>"), 0u);
  EXPECT_FALSE(absl::StrContains(html, "href=")) << "nothing links out";
  EXPECT_TRUE(absl::StrContains(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_TRUE(absl::StrContains(html, "slower"));
  EXPECT_TRUE(absl::StrContains(html, "flags differ: --use_gpu=&lt;true&gt;"));
  EXPECT_TRUE(absl::StrContains(html, "&lt;/pre&gt;"));  // the evidence cannot close its <pre>
  EXPECT_EQ(Count(html, "<pre"), Count(html, "</pre>"));
  EXPECT_TRUE(absl::StrContains(html, "num_threads"));
}

TEST(MarkdownReportTest, TablesVerdictsAndEscapes) {
  ReportInput in;
  in.results = Results();
  in.baseline_job_id = "j000006";
  v1::DeviceComparison* dc = in.comparison.add_devices();
  dc->set_device_id("host2/B");
  dc->add_metrics()->set_verdict("faster");
  std::string md = RenderMarkdownReport(in);
  EXPECT_TRUE(absl::StrContains(md, "| faster |")) << md;
  EXPECT_FALSE(absl::StrContains(md, "<script>alert"));  // the evidence's own lines stay inside their fence
  EXPECT_FALSE(absl::StrContains(md, "](https"));  // no link survives
  EXPECT_TRUE(absl::StrContains(md, "\\<script\\>"));
  EXPECT_TRUE(absl::StrContains(md, "\\|\\*\\*x\\*\\*"));
  // The evidence has ``` inside, so its fence is longer.
  EXPECT_TRUE(absl::StrContains(md, "````text\n")) << md;
  // Per-phone rows: runs and plotted points.
  EXPECT_TRUE(absl::StrContains(md, "| host2\\/B | 3 | 2 |")) << md;
}

}  // namespace
}  // namespace benchlab::cli
