// Families: a plain list, appended to by collectors at scrape time.
#include "common/exposition/families.h"

#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "absl/strings/string_view.h"

namespace benchlab::exposition {

std::string EnumLabel(const std::string& name, const std::string& prefix) {
  absl::string_view v = name;
  absl::ConsumePrefix(&v, prefix);
  return absl::AsciiStrToLower(v);
}

Family& Family::Add(Labels labels, double value) {
  samples.push_back({std::move(labels), value, {}});
  return *this;
}

Family& Family::AddHistogram(Labels labels, HistogramSnapshot h) {
  samples.push_back({std::move(labels), 0, std::move(h)});
  return *this;
}

Family& Families::Gauge(std::string name, std::string help) {
  return families_.emplace_back(Family{std::move(name), std::move(help), Kind::kGauge, {}});
}

Family& Families::Counter(std::string name, std::string help) {
  return families_.emplace_back(Family{std::move(name), std::move(help), Kind::kCounter, {}});
}

Family& Families::Histogram(std::string name, std::string help) {
  return families_.emplace_back(Family{std::move(name), std::move(help), Kind::kHistogram, {}});
}

void Families::Append(Families other) {
  for (auto& f : other.families_) families_.push_back(std::move(f));
}

const Family* Families::Find(const std::string& name) const {
  for (const auto& f : families_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace benchlab::exposition
