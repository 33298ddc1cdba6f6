// RunRequestFor: a BenchmarkRunner request for local APK and model files, hashed here, for
// the tests that run the agent's runner on devsim phones.
#ifndef BENCHLAB_TESTS_INTEGRATION_RUN_REQUEST_H_
#define BENCHLAB_TESTS_INTEGRATION_RUN_REQUEST_H_

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/run/benchmark_runner.h"
#include "common/sha256.h"

namespace benchlab::agent {

inline RunRequest RunRequestFor(const std::string& serial, const std::string& apk_path,
                                const std::string& model_path, std::vector<std::string> args,
                                absl::Duration timeout) {
  auto apk = Sha256File(apk_path);
  auto model = Sha256File(model_path);
  EXPECT_TRUE(apk.ok() && model.ok()) << apk_path << ", " << model_path;
  if (!apk.ok() || !model.ok()) return RunRequest{};
  return RunRequest{.serial = serial,
                    .apk_path = apk_path,
                    .apk_sha256 = apk->sha256,
                    .model_path = model_path,
                    .model_sha256 = model->sha256,
                    .model_size_bytes = model->size_bytes,
                    .args = std::move(args),
                    .timeout = timeout};
}

}  // namespace benchlab::agent

#endif  // BENCHLAB_TESTS_INTEGRATION_RUN_REQUEST_H_
