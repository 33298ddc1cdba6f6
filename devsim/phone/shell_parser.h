// Parses one `sh -c` command line the way Android's mksh would for the commands adb
// clients send: words with '...' "..." and \ quoting, $VAR expansion (done later, at run
// time, so `export K=V; echo $K` works), `;` `&&` `||` `|` `&` and newlines, and the
// redirections [n]< [n]> [n]>> [n]>&m. No globbing, no $(...), no functions; the executor
// (shell.cc) finds `for NAME in ...; do ...; done` among the parsed pipelines.
#ifndef BENCHLAB_DEVSIM_PHONE_SHELL_PARSER_H_
#define BENCHLAB_DEVSIM_PHONE_SHELL_PARSER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace benchlab::devsim {

// A word is literal text and variable references; quoting has already been removed.
struct ShellWordPiece {
  bool is_var = false;  // text is a variable name ("?" for $?)
  std::string text;
};
struct ShellWord {
  std::vector<ShellWordPiece> pieces;
  bool quoted = false;  // any quoting at all (an empty "" still makes a word)
};

struct ShellRedirect {
  int fd = 1;  // 0 for '<'
  enum Kind { kIn, kOut, kAppend, kDup } kind = kOut;
  ShellWord target;  // file name, or the fd number for kDup ("1" in 2>&1)
};

struct ShellCommand {
  std::vector<ShellWord> words;                                // argv (after assignments)
  std::vector<std::pair<std::string, ShellWord>> assignments;  // leading NAME=value
  std::vector<ShellRedirect> redirects;
};

// Commands joined by '|'.
struct ShellPipeline {
  std::vector<ShellCommand> commands;
  // How this pipeline relates to the one BEFORE it.
  enum Join { kAlways, kIfOk, kIfFailed } join = kAlways;
};

struct ShellScript {
  std::vector<ShellPipeline> pipelines;
};

// Errors: InvalidArgument with mksh-like text, e.g. "syntax error: unterminated quoted string".
absl::StatusOr<ShellScript> ParseShell(absl::string_view line);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_SHELL_PARSER_H_
