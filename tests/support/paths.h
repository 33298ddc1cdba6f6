// Where tests find the built binaries and the shared test data (set by CMake).
#ifndef BENCHLAB_TESTS_SUPPORT_PATHS_H_
#define BENCHLAB_TESTS_SUPPORT_PATHS_H_

#include <string>

namespace benchlab::testing {

// Absolute path of a built program, e.g. BinPath("benchlab-devsim").
inline std::string BinPath(const std::string& name) { return std::string(BENCHLAB_BIN_DIR) + "/" + name; }

// Absolute path of a file under tests/data.
inline std::string DataPath(const std::string& name) {
  return std::string(BENCHLAB_TEST_DATA_DIR) + "/" + name;
}

}  // namespace benchlab::testing

#endif  // BENCHLAB_TESTS_SUPPORT_PATHS_H_
