// ShellQuote must keep every byte literal when a real POSIX shell reads it back.
#include "common/shell_quote.h"

#include <gtest/gtest.h>

#include "tests/support/subprocess.h"

namespace benchlab {
namespace {

TEST(ShellQuoteTest, WrapsPlainWords) { EXPECT_EQ(ShellQuote("abc"), "'abc'"); }

TEST(ShellQuoteTest, EscapesSingleQuotes) { EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'"); }

TEST(ShellQuoteTest, HostileStringsSurviveARealShellUnchanged) {
  const std::vector<std::string> hostile = {
      "a b", "'", "\"", "$(touch /tmp/pwned)", "`id`", "a;b", "a&&b", "x\ny", "$HOME", "\\", ""};
  for (const std::string& arg : hostile) {
    // printf %s prints the word exactly as the shell parsed it.
    testing::RunResult r = testing::Run({"/bin/sh", "-c", "printf %s " + ShellQuote(arg)});
    EXPECT_EQ(r.exit_code, 0) << arg;
    EXPECT_EQ(r.output, arg);
  }
}

TEST(ShellQuoteTest, JoinQuotesEachArgument) {
  EXPECT_EQ(ShellJoin({"am", "start", "a b"}), "'am' 'start' 'a b'");
}

}  // namespace
}  // namespace benchlab
