// A temporary directory removed (recursively) when the object goes away.
#ifndef BENCHLAB_TESTS_SUPPORT_TEMP_DIR_H_
#define BENCHLAB_TESTS_SUPPORT_TEMP_DIR_H_

#include <string>

namespace benchlab::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace benchlab::testing

#endif  // BENCHLAB_TESTS_SUPPORT_TEMP_DIR_H_
