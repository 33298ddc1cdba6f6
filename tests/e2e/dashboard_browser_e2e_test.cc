// The dashboard in a real browser: a lab (the real coordinator with --http-listen and
// API tokens, one host with Debian's adb and two devsim phones, a real agent) and
// tests/e2e/python/dashboard_browser.py driving Debian's headless Chromium through it.
// Screenshots are kept in <build>/dashboard_screenshots/.
#include <unistd.h>

#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/lab_cluster.h"
#include "tests/support/paths.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"

namespace benchlab {
namespace {

TEST(DashboardBrowserE2eTest, LoginLabLogsLiveJobComparePagesInChromium) {
  for (const char* tool : {"/usr/bin/chromium", "/usr/bin/chromedriver"}) {
    ASSERT_EQ(::access(tool, X_OK), 0) << tool << " is missing: run deploy/setup.sh (chromium, chromium-driver, "
                                              "python3-selenium)";
  }
  const int http_port = testing::FreePort();
  testing::LabClusterOptions o;
  o.hosts = 1;
  o.phones_per_host = 2;
  o.run_seconds = 1;
  o.api_token = "dashboard-e2e-token";
  o.coordinator_extra = {"--http-listen", absl::StrCat("127.0.0.1:", http_port)};
  auto lab = testing::LabCluster::Start(o);
  ASSERT_TRUE(lab.ok()) << lab.status();

  const std::string screenshots = std::string(BENCHLAB_BIN_DIR) + "/../dashboard_screenshots";
  testing::RunResult r = testing::Run(
      {"/usr/bin/python3", std::string(BENCHLAB_SOURCE_DIR) + "/tests/e2e/python/dashboard_browser.py",
       "--url", absl::StrCat("http://127.0.0.1:", http_port), "--token", o.api_token,
       "--benchlab", testing::BinPath("benchlab"), "--coordinator", (*lab)->address(),
       "--model", (*lab)->model_path(), "--apk", (*lab)->apk_path(), "--phones", "2", "--repeat", "3",
       "--screenshots", screenshots},
      {}, absl::Seconds(150));
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n(coordinator log: " << (*lab)->dir() << "/coordinator.log)";
  std::cout << r.output;
}

}  // namespace
}  // namespace benchlab
