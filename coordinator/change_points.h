// Change points in a series of per-job values (one benchmark series over time): where the
// level steps up or down beyond noise and beyond a minimum size. Pure functions, no I/O.
//
// Method (after Mozilla Perfherder's detector): for every index i, compare the window of up
// to `window` values before i with the window of up to `window` values from i on, with
// Welch's t statistic of their means. i is a candidate when both windows hold at least
// `min_window` values, |t| >= min_t, and the relative change of the windows' MEDIANS is at
// least min_change_pct in the same direction as t. The median keeps a single outlier from
// passing the size test (and the outlier inflates its window's variance, so t stays small).
// The split with the largest passing |t| is taken, then the same search runs on each side
// of it (binary segmentation), so a second step is tested without the first in its windows.
// Last, each taken point is tested again with its windows cut at the neighbouring change
// points, and dropped when it no longer passes.
// min_t = 5 with windows of 12: in flat series of 30 jobs (3 runs each, 2 % run-to-run CV)
// about 1 in 400 shows any change point; a 4 % step in them is found, alone and at its
// index, in 93 % (bench/history_bench; figures in bench/README.md).
#ifndef BENCHLAB_COORDINATOR_CHANGE_POINTS_H_
#define BENCHLAB_COORDINATOR_CHANGE_POINTS_H_

#include <vector>

namespace benchlab::coordinator {

struct ChangePointOptions {
  // Values on each side looked at (Perfherder uses 12).
  int window = 12;
  // Fewest values on each side for a test; also the closest two change points may be.
  int min_window = 5;
  // Smallest |Welch t| counted.
  double min_t = 5.0;
  // Smallest |relative change| of the window medians counted, in percent.
  double min_change_pct = 2.0;
};

struct ChangePoint {
  // First value of the new level (values[index] is the first "after" value).
  int index = 0;
  // Welch's t of after vs before (positive: values went up).
  double t = 0;
  // Medians of the before and after windows, and 100 * (after - before) / before.
  double before_median = 0;
  double after_median = 0;
  double change_pct = 0;
};

// The change points of `values` (in order), oldest first. Empty for fewer than
// 2 * min_window values.
std::vector<ChangePoint> FindChangePoints(const std::vector<double>& values,
                                          const ChangePointOptions& options = {});

// The median of `values` (0 when empty).
double Median(std::vector<double> values);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_CHANGE_POINTS_H_
