// Shared rendering of `benchlab history` and `benchlab regressions`: what a series is (phone,
// tool, flags, model) and a change point as one phrase.
#ifndef BENCHLAB_CLI_HISTORY_FORMAT_H_
#define BENCHLAB_CLI_HISTORY_FORMAT_H_

#include <string>

#include "benchlab/v1/lab.pb.h"

namespace benchlab::cli {

// The first 12 hex digits of a SHA-256 ("-" when empty), as people quote them.
std::string ShortSha(const std::string& sha256);
// "Pixel 7 (serialno R58M1)" or "-" when the phone's model is unknown.
std::string DescribePhone(const benchlab::v1::SeriesKey& key);
// "mobilenet.tflite (1a2b3c4d5e6f)" or just the short sha when the upload had no name.
std::string DescribeModel(const benchlab::v1::SeriesKey& key);
// "(tool defaults)" for no flags.
std::string DescribeFlags(const benchlab::v1::SeriesKey& key);
// "slower +4.1% (t 8.7)".
std::string DescribeChange(const benchlab::v1::ChangePoint& change);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_HISTORY_FORMAT_H_
