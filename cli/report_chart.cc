// RenderRunsChart: fixed 480x200 viewBox, y scaled to the points' range with 10 % margin,
// numbers printed with %g so the file stays small.
#include "cli/report_chart.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/markup_text.h"

namespace benchlab::cli {

namespace {

constexpr double kWidth = 480, kHeight = 200;
constexpr double kLeft = 64, kRight = 12, kTop = 24, kBottom = 28;

double Quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * (sorted.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

}  // namespace

Spread SpreadOf(std::vector<double> values) {
  if (values.empty()) return {};
  std::sort(values.begin(), values.end());
  return {Quantile(values, 0.25), Quantile(values, 0.5), Quantile(values, 0.75)};
}

std::string RenderRunsChart(const RunsChart& chart) {
  if (chart.points.empty()) return "";
  std::vector<double> values;
  for (const auto& p : chart.points) values.push_back(p.value);
  const Spread spread = SpreadOf(values);
  double lo = *std::min_element(values.begin(), values.end());
  double hi = *std::max_element(values.begin(), values.end());
  double margin = (hi - lo) * 0.1;
  if (margin == 0) margin = std::max(std::abs(hi) * 0.05, 1.0);
  lo -= margin;
  hi += margin;
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto y_of = [&](double v) { return kTop + plot_h * (hi - v) / (hi - lo); };
  auto x_of = [&](size_t i) {
    return chart.points.size() == 1 ? kLeft + plot_w / 2 : kLeft + plot_w * i / (chart.points.size() - 1);
  };
  const std::string title = EscapeHtml(chart.title);
  std::string svg = absl::StrFormat(
      "<svg class=\"runs-chart\" viewBox=\"0 0 %g %g\" width=\"%g\" "
      "height=\"%g\" role=\"img\" aria-label=\"%s\">\n",
      kWidth, kHeight, kWidth, kHeight, title);
  absl::StrAppendFormat(&svg, "<text class=\"title\" x=\"%g\" y=\"16\">%s: %s</text>\n", kLeft, title,
                        EscapeHtml(chart.metric));
  absl::StrAppendFormat(&svg, "<rect class=\"frame\" x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\"/>\n", kLeft, kTop,
                        plot_w, plot_h);
  absl::StrAppendFormat(&svg, "<text class=\"axis\" x=\"%g\" y=\"%g\" text-anchor=\"end\">%.4g</text>\n", kLeft - 4,
                        kTop + 10, hi);
  absl::StrAppendFormat(&svg, "<text class=\"axis\" x=\"%g\" y=\"%g\" text-anchor=\"end\">%.4g</text>\n", kLeft - 4,
                        kTop + plot_h, lo);
  absl::StrAppendFormat(&svg, "<text class=\"axis\" x=\"%g\" y=\"%g\">run 1 .. %d</text>\n", kLeft, kHeight - 8,
                        chart.points.size());
  absl::StrAppendFormat(&svg,
                        "<rect class=\"spread\" x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\">"
                        "<title>middle half of the runs: %.6g .. %.6g</title></rect>\n",
                        kLeft, y_of(spread.q3), plot_w, std::max(0.5, y_of(spread.q1) - y_of(spread.q3)), spread.q1,
                        spread.q3);
  absl::StrAppendFormat(&svg,
                        "<line class=\"median\" x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\"><title>median %.6g</title></line>\n",
                        kLeft, y_of(spread.median), kLeft + plot_w, y_of(spread.median), spread.median);
  for (size_t i = 0; i < chart.points.size(); ++i) {
    absl::StrAppendFormat(&svg, "<circle class=\"run\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\"><title>%s</title></circle>\n",
                          x_of(i), y_of(chart.points[i].value), EscapeHtml(chart.points[i].label));
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace benchlab::cli
