// Text filters clients put after a pipe: grep, head, tail, wc. Input is stdin or files.
#include <algorithm>
#include <optional>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "devsim/phone/shell.h"

namespace benchlab::devsim {
namespace {

std::string ReadAllStdin(CommandIo& io) {
  std::string all;
  for (std::string chunk; !(chunk = io.ReadStdin(65536)).empty();) all += chunk;
  return all;
}

// The text of the operands (files), or stdin when there are none. False on a missing file.
bool Input(ShellCall& c, const std::vector<std::string>& files, std::string* text) {
  if (files.empty()) {
    *text = ReadAllStdin(c.io);
    return true;
  }
  bool ok = true;
  for (const std::string& f : files) {
    auto data = c.phone.fs().Read(c.Path(f));
    if (!data.ok()) {
      c.Err(absl::StrCat(c.argv[0], ": ", f, ": ", data.status().message(), "\n"));
      ok = false;
      continue;
    }
    *text += **data;
  }
  return ok;
}

std::vector<absl::string_view> SplitLines(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

int Grep(ShellCall& c) {
  bool invert = false, icase = false, count = false, quiet = false, fixed = false;
  int names = -1;  // -H 1, -h 0; by default only with several files
  std::vector<std::string> patterns;
  bool have_pattern = false, have_e = false;
  std::vector<std::string> files;
  for (size_t i = 1; i < c.argv.size(); ++i) {
    const std::string& a = c.argv[i];
    if (a == "-e" && i + 1 < c.argv.size()) {
      // Each -e adds a pattern; a line matching any of them matches (toybox grep).
      patterns.push_back(c.argv[++i]);
      have_pattern = true;
      have_e = true;
    } else if (a.size() > 1 && a[0] == '-' && !have_e && !have_pattern) {
      for (char f : a.substr(1)) {
        if (f == 'v')
          invert = true;
        else if (f == 'i')
          icase = true;
        else if (f == 'c')
          count = true;
        else if (f == 'q')
          quiet = true;
        else if (f == 'F')
          fixed = true;
        else if (f == 'H')
          names = 1;
        else if (f == 'h')
          names = 0;
      }
    } else if (!have_pattern) {
      patterns.push_back(a);
      have_pattern = true;
    } else {
      files.push_back(a);
    }
  }
  if (!have_pattern) return c.Fail("Needs 1 argument", 2);
  std::vector<std::regex> res;
  std::vector<std::string> lower_patterns;
  for (const std::string& pattern : patterns) {
    lower_patterns.push_back(absl::AsciiStrToLower(pattern));
    if (fixed) continue;
    try {
      auto flags = std::regex::extended;
      if (icase) flags |= std::regex::icase;
      res.emplace_back(pattern, flags);
    } catch (const std::regex_error&) {
      return c.Fail(absl::StrCat("bad regex '", pattern, "'"), 2);
    }
  }
  // toybox grep: each file on its own, its lines prefixed "NAME:" when several files are
  // searched (or -H), so `grep . a b c` reads many one-line sysfs files in one call.
  const bool prefix = names == 1 || (names == -1 && files.size() > 1);
  bool read_ok = true;
  std::vector<std::pair<std::string, std::string>> sources;  // (name, text)
  if (files.empty()) {
    sources.emplace_back("(standard input)", ReadAllStdin(c.io));
  } else {
    for (const std::string& f : files) {
      std::string text;
      if (Input(c, {f}, &text)) {
        sources.emplace_back(f, std::move(text));
      } else {
        read_ok = false;
      }
    }
  }
  std::string out;
  int matches = 0;
  for (const auto& [name, text] : sources) {
    int file_matches = 0;
    for (absl::string_view line : SplitLines(text)) {
      bool hit = false;
      for (size_t k = 0; k < patterns.size() && !hit; ++k) {
        if (fixed) {
          hit = icase ? absl::StrContains(absl::AsciiStrToLower(line), lower_patterns[k])
                      : absl::StrContains(line, patterns[k]);
        } else {
          hit = std::regex_search(line.begin(), line.end(), res[k]);
        }
      }
      if (hit == invert) continue;
      ++file_matches;
      if (!count && !quiet) absl::StrAppend(&out, prefix ? name + ":" : "", line, "\n");
    }
    if (count) absl::StrAppend(&out, prefix ? name + ":" : "", file_matches, "\n");
    matches += file_matches;
  }
  if (!quiet && !c.Out(out)) return 1;
  if (!read_ok) return 2;
  return matches > 0 ? 0 : 1;
}

// head/tail: -n N, -N.
int HeadTail(ShellCall& c, bool head) {
  int64_t n = 10;
  std::vector<std::string> files;
  for (size_t i = 1; i < c.argv.size(); ++i) {
    const std::string& a = c.argv[i];
    if (a == "-n" && i + 1 < c.argv.size()) {
      if (!absl::SimpleAtoi(c.argv[++i], &n)) return c.Fail("bad -n");
    } else if (a.size() > 1 && a[0] == '-' && absl::SimpleAtoi(a.substr(1), &n)) {
      continue;
    } else {
      files.push_back(a);
    }
  }
  std::string text;
  const bool ok = Input(c, files, &text);
  std::vector<absl::string_view> lines = SplitLines(text);
  const size_t keep = static_cast<size_t>(std::max<int64_t>(0, n));
  size_t from = 0, to = lines.size();
  if (head) {
    to = std::min(to, keep);
  } else if (lines.size() > keep) {
    from = lines.size() - keep;
  }
  std::string out;
  for (size_t i = from; i < to; ++i) absl::StrAppend(&out, lines[i], "\n");
  if (!c.Out(out)) return 1;
  return ok ? 0 : 1;
}

int Wc(ShellCall& c) {
  bool lines_only = false, bytes_only = false, words_only = false;
  std::vector<std::string> files;
  for (size_t i = 1; i < c.argv.size(); ++i) {
    if (c.argv[i] == "-l")
      lines_only = true;
    else if (c.argv[i] == "-c")
      bytes_only = true;
    else if (c.argv[i] == "-w")
      words_only = true;
    else
      files.push_back(c.argv[i]);
  }
  std::string text;
  const bool ok = Input(c, files, &text);
  const int64_t nl = std::count(text.begin(), text.end(), '\n');
  const int64_t words =
      static_cast<int64_t>(std::vector<absl::string_view>(
                               absl::StrSplit(text, absl::ByAnyChar(" \t\n"), absl::SkipEmpty()))
                               .size());
  std::string out;
  if (lines_only)
    out = absl::StrCat(nl);
  else if (bytes_only)
    out = absl::StrCat(text.size());
  else if (words_only)
    out = absl::StrCat(words);
  else
    out = absl::StrCat(nl, " ", words, " ", text.size());
  if (!files.empty()) absl::StrAppend(&out, " ", files[0]);
  if (!c.Out(out + "\n")) return 1;
  return ok ? 0 : 1;
}

}  // namespace

void RegisterTextCommands(ShellCommandTable& t) {
  t["grep"] = Grep;
  t["head"] = [](ShellCall& c) { return HeadTail(c, true); };
  t["tail"] = [](ShellCall& c) { return HeadTail(c, false); };
  t["wc"] = Wc;
}

}  // namespace benchlab::devsim
