// Logcat line splitting: a hand-written scanner over one string_view (no regex, no
// allocation). The first byte picks the candidate layouts; a layout that does not match
// all the way falls back to a bare message, so no input is ever rejected.
#include "common/logcat_line.h"

#include <cstddef>
#include <cstring>

namespace benchlab {
namespace {

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsSpace(char c) { return c == ' ' || c == '\t'; }
inline bool IsPriority(char c) {
  switch (c) {
    case 'V': case 'D': case 'I': case 'W': case 'E': case 'F': case 'S': case 'A':
      return true;
    default:
      return false;
  }
}

// memchr-based searches: the packaged abseil's string_view::find is an out-of-line call.
size_t FindChar(absl::string_view s, char c, size_t from = 0) {
  if (from >= s.size()) return absl::string_view::npos;
  const void* p = std::memchr(s.data() + from, c, s.size() - from);
  return p ? static_cast<size_t>(static_cast<const char*>(p) - s.data()) : absl::string_view::npos;
}

// First position of `a` immediately followed by `b`.
size_t FindPair(absl::string_view s, char a, char b, size_t from = 0) {
  while (true) {
    size_t i = FindChar(s, a, from);
    if (i == absl::string_view::npos || i + 1 >= s.size()) return absl::string_view::npos;
    if (s[i + 1] == b) return i;
    from = i + 1;
  }
}

absl::string_view RStrip(absl::string_view s) {
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Reads exactly `n` digits at `*pos`.
bool FixedDigits(absl::string_view s, size_t* pos, int n, int* value) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *value = v;
  return true;
}

// Reads 1..18 digits at `*pos` (pids, tids).
bool Number(absl::string_view s, size_t* pos, int64_t* value) {
  size_t p = *pos;
  int64_t v = 0;
  while (p < s.size() && IsDigit(s[p]) && p - *pos < 18) v = v * 10 + (s[p++] - '0');
  if (p == *pos || (p < s.size() && IsDigit(s[p]))) return false;
  *pos = p;
  *value = v;
  return true;
}

size_t SkipSpaces(absl::string_view s, size_t p) {
  while (p < s.size() && IsSpace(s[p])) ++p;
  return p;
}

// Parses "[YYYY-]MM-DD hh:mm:ss[.fff...]" or "hh:mm:ss[.fff...]" at the start of `s`.
// Returns the position after it, or 0 when `s` does not start with a timestamp.
size_t ParseTimestamp(absl::string_view s, LogcatLine* out) {
  size_t p = 0;
  int a = 0;
  if (s.size() >= 5 && s[4] == '-') {  // YYYY-MM-DD
    if (!FixedDigits(s, &p, 4, &out->year)) return 0;
    ++p;
  }
  if (!FixedDigits(s, &p, 2, &a) || p >= s.size()) return 0;
  if (s[p] == '-') {
    out->month = a;
    ++p;
    if (!FixedDigits(s, &p, 2, &out->day) || p >= s.size() || s[p] != ' ') return 0;
    ++p;
    if (!FixedDigits(s, &p, 2, &a)) return 0;
  } else if (out->year != 0) {
    return 0;
  }
  out->hour = a;
  if (p >= s.size() || s[p] != ':') return 0;
  ++p;
  if (!FixedDigits(s, &p, 2, &out->minute) || p >= s.size() || s[p] != ':') return 0;
  ++p;
  if (!FixedDigits(s, &p, 2, &out->second)) return 0;
  if (p < s.size() && s[p] == '.') {
    ++p;
    int digits = 0;
    int ms = 0;
    while (p < s.size() && IsDigit(s[p])) {
      if (digits < 3) ms = ms * 10 + (s[p] - '0');
      ++digits;
      ++p;
    }
    if (digits == 0) return 0;
    for (; digits < 3; ++digits) ms *= 10;
    out->millis = ms;
  }
  out->has_time = true;
  out->timestamp = s.substr(0, p);
  return p;
}

// "tag<pad>: message" (threadtime, studio legacy): the tag ends at the first ": ".
bool SplitTagColon(absl::string_view rest, LogcatLine* out) {
  size_t colon = FindPair(rest, ':', ' ');
  if (colon == absl::string_view::npos) {
    if (rest.empty() || rest.back() != ':') return false;  // "tag  :" with the blank stripped
    out->tag = RStrip(rest.substr(0, rest.size() - 1));
    out->message = absl::string_view();
    return true;
  }
  out->tag = RStrip(rest.substr(0, colon));
  out->message = rest.substr(colon + 2);
  return true;
}

// "P/tag<pad>( pid): message" (brief, and time after its timestamp), from `p`.
bool ParseBriefAt(absl::string_view s, size_t p, LogcatLine* out) {
  if (p + 2 > s.size() || !IsPriority(s[p]) || s[p + 1] != '/') return false;
  size_t search = p + 2;
  while (true) {
    size_t close = FindChar(s, ')', search);
    if (close == absl::string_view::npos) return false;
    // Must be "): " or ")" ending the line with ':' after it.
    bool ends = close + 1 < s.size() && s[close + 1] == ':' &&
                (close + 2 == s.size() || s[close + 2] == ' ');
    if (ends) {
      size_t q = close;
      while (q > p + 2 && IsSpace(s[q - 1])) --q;
      size_t digits_end = q;
      while (q > p + 2 && IsDigit(s[q - 1])) --q;
      size_t digits_begin = q;
      while (q > p + 2 && IsSpace(s[q - 1])) --q;
      if (digits_begin < digits_end && q > p + 2 && s[q - 1] == '(') {
        size_t dp = digits_begin;
        if (!Number(s, &dp, &out->pid)) return false;
        out->priority = s[p];
        out->tag = RStrip(s.substr(p + 2, q - 1 - (p + 2)));
        out->message = close + 3 <= s.size() ? s.substr(close + 3) : absl::string_view();
        return true;
      }
    }
    search = close + 1;
  }
}

// After "pid-tid": "  tag  package  L  message" (Android Studio 2022+). Columns are
// separated by runs of spaces; the priority is a lone letter with two spaces either side.
bool ParseStudioRest(absl::string_view s, size_t p, LogcatLine* out) {
  if (p >= s.size() || !IsSpace(s[p])) return false;
  absl::string_view rest = s.substr(p);
  size_t k = 0;
  while (true) {
    k = FindPair(rest, ' ', ' ', k);
    if (k == absl::string_view::npos) return false;
    size_t letter = k + 2;
    while (letter < rest.size() && rest[letter] == ' ') ++letter;  // longer padding runs
    if (letter < rest.size() && IsPriority(rest[letter]) &&
        (letter + 1 == rest.size() || (rest[letter + 1] == ' ' &&
                                       (letter + 2 == rest.size() || rest[letter + 2] == ' ')))) {
      absl::string_view head = rest.substr(0, k);
      size_t hb = 0;
      while (hb < head.size() && IsSpace(head[hb])) ++hb;
      head = RStrip(head.substr(hb));
      if (head.empty()) return false;
      size_t last_gap = head.rfind(' ');
      if (last_gap == absl::string_view::npos) {
        out->tag = head;
      } else {
        out->package = head.substr(last_gap + 1);
        out->tag = RStrip(head.substr(0, last_gap));
      }
      out->priority = rest[letter];
      out->message = letter + 3 <= rest.size() ? rest.substr(letter + 3) : absl::string_view();
      return true;
    }
    k = letter;
  }
}

// Everything after a timestamp ended at `p`.
bool ParseAfterTimestamp(absl::string_view s, size_t p, LogcatLine* out) {
  if (p >= s.size() || s[p] != ' ') return false;
  size_t q = SkipSpaces(s, p);
  if (q >= s.size()) return false;
  if (IsPriority(s[q]) && q + 1 < s.size() && s[q + 1] == '/') {
    if (!ParseBriefAt(s, q, out)) return false;
    out->layout = LogcatLayout::kTime;
    return true;
  }
  bool uid_skipped = false;
  if (!IsDigit(s[q])) {
    // `-v threadtime,uid` prints a uid (name or number) before the pid: skip one token.
    while (q < s.size() && !IsSpace(s[q])) ++q;
    q = SkipSpaces(s, q);
    if (q >= s.size() || !IsDigit(s[q])) return false;
    uid_skipped = true;
  }
  if (!Number(s, &q, &out->pid)) return false;
  if (q < s.size() && s[q] == '-' && !uid_skipped) {  // studio "pid-tid"
    ++q;
    if (!Number(s, &q, &out->tid)) return false;
    if (q < s.size() && s[q] == '/') {  // legacy "pid-tid/package P/tag: msg"
      size_t pkg_end = FindChar(s, ' ', q + 1);
      if (pkg_end == absl::string_view::npos) return false;
      out->package = s.substr(q + 1, pkg_end - q - 1);
      size_t r = pkg_end + 1;
      if (r + 2 > s.size() || !IsPriority(s[r]) || s[r + 1] != '/') return false;
      out->priority = s[r];
      if (!SplitTagColon(s.substr(r + 2), out)) return false;
      out->layout = LogcatLayout::kStudioLegacy;
      return true;
    }
    if (!ParseStudioRest(s, q, out)) return false;
    out->layout = LogcatLayout::kStudio;
    return true;
  }
  // threadtime: " tid P tag: msg"
  size_t r = SkipSpaces(s, q);
  if (r == q || !Number(s, &r, &out->tid)) return false;
  size_t r2 = SkipSpaces(s, r);
  if (r2 > r && r2 < s.size() && IsDigit(s[r2])) {  // numeric uid came first: shift
    out->pid = out->tid;
    r = r2;
    if (!Number(s, &r, &out->tid)) return false;
  }
  if (r + 3 > s.size() || s[r] != ' ' || !IsPriority(s[r + 1]) || s[r + 2] != ' ') return false;
  out->priority = s[r + 1];
  if (!SplitTagColon(s.substr(r + 3), out)) return false;
  out->layout = LogcatLayout::kThreadtime;
  return true;
}

struct NativePrefix {
  absl::string_view text;
  char priority;
};
constexpr NativePrefix kNativePrefixes[] = {
    {"INFO:", 'I'},    {"WARN:", 'W'},  {"WARNING:", 'W'},
    {"ERROR:", 'E'},   {"FATAL:", 'F'}, {"VERBOSE:", 'V'},
};

bool ParseNative(absl::string_view s, LogcatLine* out) {
  for (const NativePrefix& np : kNativePrefixes) {
    if (s.size() < np.text.size() || s.substr(0, np.text.size()) != np.text) continue;
    absl::string_view rest = s.substr(np.text.size());
    if (!rest.empty() && rest[0] != ' ') continue;
    out->layout = LogcatLayout::kNative;
    out->priority = np.priority;
    out->message = rest.empty() ? rest : rest.substr(1);
    return true;
  }
  return false;
}

}  // namespace

absl::string_view LogcatLayoutName(LogcatLayout layout) {
  switch (layout) {
    case LogcatLayout::kBare: return "bare";
    case LogcatLayout::kBufferSwitch: return "buffer_switch";
    case LogcatLayout::kThreadtime: return "threadtime";
    case LogcatLayout::kTime: return "time";
    case LogcatLayout::kBrief: return "brief";
    case LogcatLayout::kStudio: return "studio";
    case LogcatLayout::kStudioLegacy: return "studio_legacy";
    case LogcatLayout::kNative: return "native";
  }
  return "unknown";
}

bool ParseLogcatLine(absl::string_view line, LogcatLine* out) {
  *out = LogcatLine();
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  out->message = line;
  if (line.empty()) return false;

  const char c = line[0];
  if (IsDigit(c)) {
    size_t p = ParseTimestamp(line, out);
    if (p != 0 && ParseAfterTimestamp(line, p, out)) return true;
    *out = LogcatLine();  // a message that happens to start with a digit ("9 nodes observed")
    out->message = line;
    return false;
  }
  if (c == '-') {
    constexpr absl::string_view kSwitch = "--------- ";
    if (line.size() >= kSwitch.size() && line.substr(0, kSwitch.size()) == kSwitch) {
      absl::string_view rest = line.substr(kSwitch.size());
      constexpr absl::string_view kBeginning = "beginning of ";
      if (rest.size() >= kBeginning.size() && rest.substr(0, kBeginning.size()) == kBeginning) {
        rest.remove_prefix(kBeginning.size());
      }
      out->layout = LogcatLayout::kBufferSwitch;
      out->message = rest;
    }
    return false;
  }
  if (IsPriority(c)) {
    if (line.size() > 1 && line[1] == '/') {
      if (ParseBriefAt(line, 0, out)) {
        out->layout = LogcatLayout::kBrief;
        return true;
      }
      *out = LogcatLine();
      out->message = line;
      return false;
    }
    ParseNative(line, out);
    return false;
  }
  return false;
}

}  // namespace benchlab
