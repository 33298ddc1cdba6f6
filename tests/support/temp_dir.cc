// Temporary directories under $TMPDIR (or /tmp).
#include "tests/support/temp_dir.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>

namespace benchlab::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/benchlab-test-XXXXXX";
  if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
}

TempDir::~TempDir() {
  // BENCHLAB_KEEP_TEST_DIRS=1 keeps logs and data of a test for a post-mortem.
  if (path_.empty() || std::getenv("BENCHLAB_KEEP_TEST_DIRS") != nullptr) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace benchlab::testing
