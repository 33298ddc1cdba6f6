// What a /metrics scrape returns, built without naming the exposition library: families of
// gauges, counters and histograms with their label sets. Collectors fill one per scrape;
// endpoint.cc turns it into prometheus-cpp's types (and tests read it directly).
#ifndef BENCHLAB_COMMON_EXPOSITION_FAMILIES_H_
#define BENCHLAB_COMMON_EXPOSITION_FAMILIES_H_

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "common/exposition/histogram.h"

namespace benchlab::exposition {

using Labels = std::vector<std::pair<std::string, std::string>>;

enum class Kind { kGauge, kCounter, kHistogram };

struct Sample {
  Labels labels;
  double value = 0;             // gauge, counter
  HistogramSnapshot histogram;  // histogram
};

struct Family {
  std::string name;  // benchlab_...
  std::string help;
  Kind kind = Kind::kGauge;
  std::vector<Sample> samples;

  Family& Add(Labels labels, double value);
  Family& AddHistogram(Labels labels, HistogramSnapshot h);
};

// A proto enum value's name as a label value: `prefix` dropped, lower case
// ("RUN_STATE_DONE", "RUN_STATE_" -> "done").
std::string EnumLabel(const std::string& name, const std::string& prefix);

class Families {
 public:
  // A new family; the reference stays valid as more are added (a deque).
  Family& Gauge(std::string name, std::string help);
  Family& Counter(std::string name, std::string help);
  Family& Histogram(std::string name, std::string help);
  // One unlabelled sample, the common case.
  void Gauge(std::string name, std::string help, double value) { Gauge(std::move(name), std::move(help)).Add({}, value); }
  void Counter(std::string name, std::string help, double value) {
    Counter(std::move(name), std::move(help)).Add({}, value);
  }

  const std::deque<Family>& families() const { return families_; }
  std::deque<Family>& families() { return families_; }
  // Appends other's families.
  void Append(Families other);
  // The family named `name`, or null (tests).
  const Family* Find(const std::string& name) const;

 private:
  std::deque<Family> families_;
};

}  // namespace benchlab::exposition

#endif  // BENCHLAB_COMMON_EXPOSITION_FAMILIES_H_
