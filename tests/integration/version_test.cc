// `--version` on each installed program, run as a person runs it: the built binary prints
// "<program> <version>" with the one version from CMake (common/version.h) and exits 0,
// before any check of its other options (the coordinator needs --data-dir to serve).
#include <gtest/gtest.h>

#include "common/version.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"

namespace benchlab {
namespace {

class VersionTest : public ::testing::TestWithParam<const char*> {};

TEST_P(VersionTest, PrintsNameAndTheProjectVersion) {
  const std::string program = GetParam();
  testing::RunResult r = testing::Run({testing::BinPath(program), "--version"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, program + " " + kVersion + "\n");
}

INSTANTIATE_TEST_SUITE_P(Programs, VersionTest,
                         ::testing::Values("benchlab", "benchlab-agent", "benchlab-coordinator", "benchlab-devsim"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

TEST(VersionTest, IsTheProjectsSemanticVersion) {
  // project(VERSION X.Y.Z): three numbers, so package versions sort as releases do.
  int dots = 0;
  for (const char* p = kVersion; *p; ++p) {
    if (*p == '.') {
      ++dots;
    } else {
      EXPECT_TRUE(*p >= '0' && *p <= '9') << kVersion;
    }
  }
  EXPECT_EQ(dots, 2) << kVersion;
}

}  // namespace
}  // namespace benchlab
