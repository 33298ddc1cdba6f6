// EscapeForTerminal: what a terminal would act on is shown, what it would print passes.
#include "common/terminal_text.h"

#include <gtest/gtest.h>

namespace benchlab {
namespace {

TEST(TerminalTextTest, ControlCharactersAreEscaped) {
  EXPECT_EQ(EscapeForTerminal("\x1b[2J\x1b]0;title\x07"), "\\x1b[2J\\x1b]0;title\\x07");
  EXPECT_EQ(EscapeForTerminal(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(EscapeForTerminal("line1\nline2\r\tx\x7f"), "line1\\nline2\\r\\tx\\x7f");
  EXPECT_EQ(EscapeForTerminal("\xc2\x9b" "31m"), "\\u009b31m");  // C1 CSI as UTF-8
}

TEST(TerminalTextTest, PrintableTextAndUtf8PassUnchanged) {
  EXPECT_EQ(EscapeForTerminal("Pixel 7 / Tensor G2 -- 12.5 ms"), "Pixel 7 / Tensor G2 -- 12.5 ms");
  EXPECT_EQ(EscapeForTerminal("Gerät µs 日本 🙂"), "Gerät µs 日本 🙂");
}

TEST(TerminalTextTest, LinesKeepTheirNewlines) {
  EXPECT_EQ(EscapeLinesForTerminal("a\x1b[2J\nb\tc\n"), "a\\x1b[2J\nb\\tc\n");
  EXPECT_EQ(EscapeLinesForTerminal("no newline\r"), "no newline\\r");
}

TEST(TerminalTextTest, BytesThatAreNotUtf8AreEscaped) {
  EXPECT_EQ(EscapeForTerminal("\x9b" "31m"), "\\x9b31m");         // a lone C1 byte
  EXPECT_EQ(EscapeForTerminal("\xc0\xaf"), "\\xc0\\xaf");          // overlong '/'
  EXPECT_EQ(EscapeForTerminal("\xe6\x97"), "\\xe6\\x97");          // cut short
  EXPECT_EQ(EscapeForTerminal("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a UTF-16 surrogate
}

}  // namespace
}  // namespace benchlab
