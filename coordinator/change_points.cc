// The windowed Welch t-test with a minimum median change; see change_points.h for the method.
#include "coordinator/change_points.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace benchlab::coordinator {
namespace {

// Tests values[b0, i) against values[i, f1); nullopt-like (valid = false) when a side is
// shorter than min_window or the test does not pass.
struct WindowTest {
  bool valid = false;
  ChangePoint point;
};

WindowTest TestAt(const std::vector<double>& v, int b0, int i, int f1, const ChangePointOptions& o) {
  WindowTest out;
  const int nb = i - b0, nf = f1 - i;
  if (nb < o.min_window || nf < o.min_window) return out;
  auto stats = [&](int from, int to, double* mean, double* var) {
    double sum = 0;
    for (int k = from; k < to; ++k) sum += v[k];
    *mean = sum / (to - from);
    double ss = 0;
    for (int k = from; k < to; ++k) ss += (v[k] - *mean) * (v[k] - *mean);
    *var = ss / (to - from - 1);
  };
  double mb, vb, mf, vf;
  stats(b0, i, &mb, &vb);
  stats(i, f1, &mf, &vf);
  double se = std::sqrt(vb / nb + vf / nf);
  // Noise-free windows (identical values) would divide by zero: a floor far below any
  // real phone's noise keeps t finite and the size test decides.
  se = std::max(se, 1e-9 * std::max(std::abs(mb), 1.0));
  ChangePoint& p = out.point;
  p.index = i;
  p.t = (mf - mb) / se;
  p.before_median = Median(std::vector<double>(v.begin() + b0, v.begin() + i));
  p.after_median = Median(std::vector<double>(v.begin() + i, v.begin() + f1));
  p.change_pct = p.before_median != 0 ? 100.0 * (p.after_median - p.before_median) / std::abs(p.before_median)
                                      : std::numeric_limits<double>::infinity();
  out.valid = std::abs(p.t) >= o.min_t && std::abs(p.change_pct) >= o.min_change_pct &&
              (p.t > 0) == (p.change_pct > 0);
  return out;
}

// Binary segmentation: the strongest passing split of [lo, hi), then the same on each side.
void Segment(const std::vector<double>& v, int lo, int hi, const ChangePointOptions& o, std::vector<int>* taken) {
  const int window = std::max(o.window, o.min_window);
  bool found = false;
  ChangePoint best;
  for (int i = lo + o.min_window; i + o.min_window <= hi; ++i) {
    WindowTest w = TestAt(v, std::max(lo, i - window), i, std::min(hi, i + window), o);
    if (w.valid && (!found || std::abs(w.point.t) > std::abs(best.t))) {
      best = w.point;
      found = true;
    }
  }
  if (!found) return;
  taken->push_back(best.index);
  Segment(v, lo, best.index, o, taken);
  Segment(v, best.index, hi, o, taken);
}

}  // namespace

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  const size_t n = values.size();
  std::nth_element(values.begin(), values.begin() + n / 2, values.end());
  const double hi = values[n / 2];
  if (n % 2) return hi;
  return (*std::max_element(values.begin(), values.begin() + n / 2) + hi) / 2;
}

std::vector<ChangePoint> FindChangePoints(const std::vector<double>& values, const ChangePointOptions& o) {
  const int n = static_cast<int>(values.size());
  const int window = std::max(o.window, o.min_window);
  std::vector<int> taken;
  Segment(values, 0, n, o, &taken);
  std::sort(taken.begin(), taken.end());
  // Re-test each with windows that stop at both neighbours: the first split's windows may
  // have held a step found later, which made their variance (or median) not the level's own.
  std::vector<ChangePoint> out;
  for (size_t k = 0; k < taken.size(); ++k) {
    const int i = taken[k];
    const int lo = std::max({0, i - window, k > 0 ? taken[k - 1] : 0});
    const int hi = std::min({n, i + window, k + 1 < taken.size() ? taken[k + 1] : n});
    WindowTest w = TestAt(values, lo, i, hi, o);
    if (w.valid) out.push_back(w.point);
  }
  return out;
}

}  // namespace benchlab::coordinator
