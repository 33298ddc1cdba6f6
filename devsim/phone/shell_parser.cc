// A single-pass lexer+parser over the command line: characters go into the current word
// until an unquoted blank or operator; operators close words and commands.
#include "devsim/phone/shell_parser.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace benchlab::devsim {
namespace {

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Parser {
 public:
  explicit Parser(absl::string_view s) : s_(s) {}

  absl::StatusOr<ShellScript> Run() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r') {
        EndWord();
        ++i_;
      } else if (c == '\n' || c == ';') {
        if (auto st = EndPipeline(ShellPipeline::kAlways); !st.ok()) return st;
        ++i_;
      } else if (c == '&') {
        if (Peek(1) == '&') {
          if (auto st = EndPipeline(ShellPipeline::kIfOk); !st.ok()) return st;
          i_ += 2;
        } else if (Peek(1) == '>') {  // &>file: both streams
          EndWord();
          i_ += 2;
          if (auto st = ReadRedirect(1, ShellRedirect::kOut, true); !st.ok()) return st;
        } else {  // background: we run it in the foreground, which is what a client sees
          if (auto st = EndPipeline(ShellPipeline::kAlways); !st.ok()) return st;
          ++i_;
        }
      } else if (c == '|') {
        if (Peek(1) == '|') {
          if (auto st = EndPipeline(ShellPipeline::kIfFailed); !st.ok()) return st;
          i_ += 2;
        } else {
          EndWord();
          if (!EndCommand()) return Syntax("'|' unexpected");
          ++i_;
        }
      } else if (c == '<' || c == '>') {
        int fd = c == '<' ? 0 : 1;
        // A word made only of unquoted digits right before the operator is the fd.
        if (in_word_ && !word_.quoted && word_.pieces.size() == 1 && !word_.pieces[0].is_var &&
            !word_.pieces[0].text.empty() &&
            std::all_of(word_.pieces[0].text.begin(), word_.pieces[0].text.end(),
                        [](char d) { return std::isdigit(static_cast<unsigned char>(d)); })) {
          fd = std::stoi(word_.pieces[0].text);
          word_ = ShellWord();
          in_word_ = false;
        } else {
          EndWord();
        }
        ++i_;
        ShellRedirect::Kind kind = c == '<' ? ShellRedirect::kIn : ShellRedirect::kOut;
        if (c == '>' && Peek(0) == '>') {
          kind = ShellRedirect::kAppend;
          ++i_;
        } else if (Peek(0) == '&') {
          kind = ShellRedirect::kDup;
          ++i_;
        } else if (c == '>' && Peek(0) == '|') {
          ++i_;
        }
        if (auto st = ReadRedirect(fd, kind, false); !st.ok()) return st;
      } else if (c == '#' && !in_word_) {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else {
        if (auto st = ReadWordChars(); !st.ok()) return st;
      }
    }
    if (auto st = EndPipeline(ShellPipeline::kAlways); !st.ok()) return st;
    return std::move(script_);
  }

 private:
  char Peek(size_t ahead) const { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }

  static absl::Status Syntax(absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("syntax error: ", what));
  }

  void AddText(absl::string_view t) {
    in_word_ = true;
    if (word_.pieces.empty() || word_.pieces.back().is_var) word_.pieces.push_back({});
    word_.pieces.back().text.append(t.data(), t.size());
  }
  void AddVar(std::string name) {
    in_word_ = true;
    word_.pieces.push_back(ShellWordPiece{true, std::move(name)});
  }

  // After '$' (at i_): $NAME, ${NAME}, $?, $$, $#; a lone '$' is literal.
  void ReadDollar() {
    ++i_;
    char c = Peek(0);
    if (c == '{') {
      size_t end = s_.find('}', i_);
      if (end != absl::string_view::npos) {
        AddVar(std::string(s_.substr(i_ + 1, end - i_ - 1)));
        i_ = end + 1;
        return;
      }
    } else if (c == '?' || c == '$' || c == '#' || std::isdigit(static_cast<unsigned char>(c))) {
      AddVar(std::string(1, c));
      ++i_;
      return;
    } else if (IsNameStart(c)) {
      size_t start = i_;
      while (i_ < s_.size() && IsNameChar(s_[i_])) ++i_;
      AddVar(std::string(s_.substr(start, i_ - start)));
      return;
    }
    AddText("$");
  }

  // Reads characters of a word until a blank or operator.
  absl::Status ReadWordChars() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '&' || c == '|' ||
          c == '<' || c == '>') {
        return absl::OkStatus();
      }
      if (c == '\'') {
        size_t end = s_.find('\'', i_ + 1);
        if (end == absl::string_view::npos) return Syntax("unterminated quoted string");
        word_.quoted = true;
        AddText(s_.substr(i_ + 1, end - i_ - 1));
        i_ = end + 1;
      } else if (c == '"') {
        word_.quoted = true;
        in_word_ = true;
        ++i_;
        bool closed = false;
        while (i_ < s_.size()) {
          char d = s_[i_];
          if (d == '"') {
            closed = true;
            ++i_;
            break;
          }
          if (d == '\\' && i_ + 1 < s_.size()) {
            char e = s_[i_ + 1];
            if (e == '$' || e == '`' || e == '"' || e == '\\') {
              AddText(absl::string_view(&e, 1));
              i_ += 2;
              continue;
            }
            if (e == '\n') {
              i_ += 2;
              continue;
            }
            AddText("\\");
            ++i_;
            continue;
          }
          if (d == '$') {
            ReadDollar();
            continue;
          }
          AddText(absl::string_view(&d, 1));
          ++i_;
        }
        if (!closed) return Syntax("unterminated quoted string");
      } else if (c == '\\') {
        if (i_ + 1 >= s_.size()) {
          ++i_;  // trailing backslash: dropped
          continue;
        }
        char e = s_[i_ + 1];
        if (e != '\n') {
          word_.quoted = true;
          AddText(absl::string_view(&e, 1));
        }
        i_ += 2;
      } else if (c == '$') {
        ReadDollar();
      } else {
        AddText(absl::string_view(&c, 1));
        ++i_;
      }
    }
    return absl::OkStatus();
  }

  absl::Status ReadRedirect(int fd, ShellRedirect::Kind kind, bool both) {
    while (Peek(0) == ' ' || Peek(0) == '\t') ++i_;
    EndWord();
    if (auto st = ReadWordChars(); !st.ok()) return st;
    if (!in_word_) return Syntax("missing redirection target");
    ShellRedirect r;
    r.fd = fd;
    r.kind = kind;
    r.target = std::move(word_);
    word_ = ShellWord();
    in_word_ = false;
    command_.redirects.push_back(r);
    if (both) {
      ShellRedirect dup;
      dup.fd = 2;
      dup.kind = ShellRedirect::kDup;
      dup.target.pieces.push_back(ShellWordPiece{false, "1"});
      command_.redirects.push_back(std::move(dup));
    }
    have_command_ = true;
    return absl::OkStatus();
  }

  void EndWord() {
    if (!in_word_) return;
    // Leading NAME=value words are assignments.
    if (command_.words.empty() && !word_.pieces.empty() && !word_.pieces[0].is_var) {
      const std::string& t = word_.pieces[0].text;
      size_t eq = t.find('=');
      if (eq != std::string::npos && eq > 0 && IsNameStart(t[0]) &&
          std::all_of(t.begin(), t.begin() + static_cast<ptrdiff_t>(eq), IsNameChar)) {
        std::string name = t.substr(0, eq);
        ShellWord value = word_;
        value.pieces[0].text = t.substr(eq + 1);
        command_.assignments.emplace_back(std::move(name), std::move(value));
        word_ = ShellWord();
        in_word_ = false;
        have_command_ = true;
        return;
      }
    }
    command_.words.push_back(std::move(word_));
    word_ = ShellWord();
    in_word_ = false;
    have_command_ = true;
  }

  // Returns false if there is no command to end.
  bool EndCommand() {
    if (!have_command_) return false;
    pipeline_.commands.push_back(std::move(command_));
    command_ = ShellCommand();
    have_command_ = false;
    return true;
  }

  // Ends the current pipeline at ';' '&&' '||' '&' newline or the end of input;
  // `next_join` is the operator that ended it.
  absl::Status EndPipeline(ShellPipeline::Join next_join) {
    EndWord();
    if (have_command_) {
      EndCommand();
    } else if (!pipeline_.commands.empty()) {
      return Syntax("'|' unexpected");  // "a | ;" or "a |" at the end
    }
    if (pipeline_.commands.empty()) {
      // An empty statement is fine after ';' but not around && and ||.
      if (pipeline_.join != ShellPipeline::kAlways || next_join != ShellPipeline::kAlways) {
        return Syntax("unexpected operator");
      }
    } else {
      script_.pipelines.push_back(std::move(pipeline_));
    }
    pipeline_ = ShellPipeline();
    pipeline_.join = next_join;
    return absl::OkStatus();
  }

  absl::string_view s_;
  size_t i_ = 0;
  ShellWord word_;
  bool in_word_ = false;
  ShellCommand command_;
  bool have_command_ = false;
  ShellPipeline pipeline_;
  ShellScript script_;
};

}  // namespace

absl::StatusOr<ShellScript> ParseShell(absl::string_view line) { return Parser(line).Run(); }

}  // namespace benchlab::devsim
