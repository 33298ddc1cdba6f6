// Start-up checks of file modes (which paths are too open, and the fix) and the one-line
// message for an unknown key in a config file.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "common/config_file_error.h"
#include "coordinator/file_modes.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab::coordinator {
namespace {

TEST(FileModes, FindsADataDirOpenToOthersAndSecretsTheGroupCanRead) {
  testing::TempDir dir;
  const std::string data = dir.path() + "/data";
  ASSERT_EQ(::mkdir(data.c_str(), 0750), 0);
  ASSERT_EQ(::chmod(data.c_str(), 0750), 0);
  const std::string key = dir.path() + "/server.key", tokens = dir.path() + "/tokens";
  ASSERT_TRUE(testing::WriteFile(key, "k"));
  ASSERT_TRUE(testing::WriteFile(tokens, "t admin"));
  ASSERT_EQ(::chmod(key.c_str(), 0600), 0);
  ASSERT_EQ(::chmod(tokens.c_str(), 0640), 0);
  auto loose = FindLooseModes(data, {key, tokens, dir.path() + "/missing"}, {"TLS key", "tokens file", "x"});
  ASSERT_EQ(loose.size(), 1u) << "a 0750 data dir (the package's group) and a 0600 key are fine";
  EXPECT_EQ(loose[0].what, "tokens file");
  EXPECT_EQ(loose[0].mode, 0640u);
  EXPECT_EQ(loose[0].fix, "chmod 600 " + tokens);

  ASSERT_EQ(::chmod(data.c_str(), 0755), 0);
  loose = FindLooseModes(data, {}, {});
  ASSERT_EQ(loose.size(), 1u);
  EXPECT_EQ(loose[0].fix, "chmod o-rwx " + data);
}

TEST(ConfigFileError, NamesTheUnknownKeyAndTheFile) {
  EXPECT_EQ(ConfigFileErrorLine("INI was not able to parse listn", "/etc/benchlab/coordinator.toml"),
            "unknown key 'listn' in config file /etc/benchlab/coordinator.toml (config keys are the long option "
            "names without '--'; see --help)");
  EXPECT_EQ(ConfigFileErrorLine("something else", "c.toml"), "config file c.toml: something else");
}

}  // namespace
}  // namespace benchlab::coordinator
