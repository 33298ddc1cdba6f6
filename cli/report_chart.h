// One phone's runs as an inline SVG strip chart for `benchlab report --html`: each run a
// point (x = its order, y = the metric), the median a line, the spread (the middle half
// of the runs, first to third quartile) a band. Plain SVG, no script, no external link.
#ifndef BENCHLAB_CLI_REPORT_CHART_H_
#define BENCHLAB_CLI_REPORT_CHART_H_

#include <string>
#include <vector>

namespace benchlab::cli {

struct ChartPoint {
  double value = 0;
  std::string label;  // the point's tooltip (run id and value); escaped when drawn
};

struct RunsChart {
  std::string title;   // e.g. the device id; escaped when drawn
  std::string metric;  // axis label, e.g. "inference_avg_us"
  std::vector<ChartPoint> points;
};

// <svg class="runs-chart" ...> with one <circle class="run"> per point, a
// <line class="median"> and a <rect class="spread">; "" when there are no points.
std::string RenderRunsChart(const RunsChart& chart);

// Median and quartiles (linear interpolation between order statistics) of `values`.
struct Spread {
  double q1 = 0;
  double median = 0;
  double q3 = 0;
};
Spread SpreadOf(std::vector<double> values);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_REPORT_CHART_H_
