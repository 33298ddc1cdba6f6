// Series and change-point phrases; see history_format.h.
#include "cli/history_format.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace benchlab::cli {

std::string ShortSha(const std::string& sha256) { return sha256.empty() ? "-" : sha256.substr(0, 12); }

std::string DescribePhone(const benchlab::v1::SeriesKey& key) {
  std::string out = key.device_model().empty() ? "-" : key.device_model();
  if (!key.device_serialno().empty()) absl::StrAppend(&out, " (serialno ", key.device_serialno(), ")");
  return out;
}

std::string DescribeModel(const benchlab::v1::SeriesKey& key) {
  if (key.model_name().empty()) return ShortSha(key.model_sha256());
  return absl::StrCat(key.model_name(), " (", ShortSha(key.model_sha256()), ")");
}

std::string DescribeFlags(const benchlab::v1::SeriesKey& key) {
  return key.flags().empty() ? "(tool defaults)" : key.flags();
}

std::string DescribeChange(const benchlab::v1::ChangePoint& change) {
  return absl::StrFormat("%s %+.1f%% (t %.1f)", change.direction(), change.change_pct(), change.t());
}

}  // namespace benchlab::cli
