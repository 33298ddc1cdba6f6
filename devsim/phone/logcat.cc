// The `logcat` command: reads the phone's LogBuffer with logcat's options and prints lines
// in logcat's layouts. Without -d/-t it keeps streaming until the stream is closed, waking
// on new entries (LogBuffer::WaitNewer) rather than polling.
#include <optional>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "devsim/phone/android_version.h"
#include "devsim/phone/log_buffer.h"
#include "devsim/phone/shell.h"

namespace benchlab::devsim {
namespace {

int PrioValue(char p) {
  switch (absl::ascii_toupper(p)) {
    case 'V':
      return 2;
    case 'D':
      return 3;
    case 'I':
      return 4;
    case 'W':
      return 5;
    case 'E':
      return 6;
    case 'F':
      return 7;
    case 'S':
      return 8;
    case '*':
      return 2;
  }
  return -1;
}

struct Options {
  std::string format = "threadtime";
  bool epoch = false, year = false, usec = false;
  uint32_t mask = 0;
  bool dump = false;
  bool clear = false;
  bool print_size = false;
  size_t tail_count = 0;                    // -t/-T N
  absl::Time since = absl::InfinitePast();  // -t/-T TIME
  int64_t max_count = -1;                   // -m N
  int32_t pid = -1;
  std::optional<std::regex> regex;
  std::vector<std::pair<std::string, int>> filters;  // tag -> min priority
  int default_prio = 2;
  // The date and time of day of the last line's second: a flood of lines shares it, and
  // formatting it per line (cctz) made devsim the costliest process of a log flood.
  mutable int64_t cached_second = INT64_MIN;
  mutable std::string cached_date;
};

bool ParseBuffers(absl::string_view arg, uint32_t* mask) {
  for (absl::string_view b : absl::StrSplit(arg, ',', absl::SkipEmpty())) {
    if (b == "main")
      *mask |= LogMask(LogId::kMain);
    else if (b == "system")
      *mask |= LogMask(LogId::kSystem);
    else if (b == "crash")
      *mask |= LogMask(LogId::kCrash);
    else if (b == "radio")
      *mask |= LogMask(LogId::kRadio);
    else if (b == "events")
      *mask |= LogMask(LogId::kEvents);
    else if (b == "default")
      *mask |= kDefaultLogMask;
    else if (b == "all")
      *mask |= kAllLogMask;
    else if (b == "kernel" || b == "security" || b == "stats")
      continue;
    else
      return false;
  }
  return true;
}

// Reads the fraction digits at `s` as log_time::strptime's %q does: at most `max_digits`
// (%3q: 3; %q: up to nanoseconds); what follows is left over. Returns the rest.
absl::string_view ReadFraction(absl::string_view s, size_t max_digits, int64_t* nanos) {
  *nanos = 0;
  int64_t mul = 1000000000;
  size_t i = 0;
  while (i < s.size() && i < max_digits && mul > 1 &&
         absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) {
    mul /= 10;
    *nanos += (s[i] - '0') * mul;
    ++i;
  }
  return s.substr(i);
}

// One time form: returns the unparsed rest, or nullopt when `arg` is not in that form.
std::optional<absl::string_view> ParseTimeForm(absl::string_view arg, bool with_year,
                                               bool epoch, size_t max_fraction,
                                               absl::Time* out) {
  static const std::regex kMonthDay(R"(^(\d{1,2})-(\d{1,2}) +(\d{1,2}):(\d{1,2}):(\d{1,2})\.)");
  static const std::regex kYear(R"(^(\d{1,4})-(\d{1,2})-(\d{1,2}) +(\d{1,2}):(\d{1,2}):(\d{1,2})\.)");
  static const std::regex kEpoch(R"(^(\d+)\.)");
  std::cmatch m;
  const std::regex& re = epoch ? kEpoch : with_year ? kYear : kMonthDay;
  if (!std::regex_search(arg.data(), arg.data() + arg.size(), m, re)) return std::nullopt;
  int64_t nanos = 0;
  absl::string_view rest = ReadFraction(arg.substr(m.length(0)), max_fraction, &nanos);
  if (epoch) {
    *out = absl::FromUnixSeconds(std::stoll(m[1].str())) + absl::Nanoseconds(nanos);
    return rest;
  }
  std::vector<int> f;
  for (size_t i = 1; i < m.size(); ++i) f.push_back(std::stoi(m[i].str()));
  // Without a year, log_time takes this year (the phone's clock is UTC).
  const int64_t year =
      with_year ? f[0] : absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year();
  const size_t o = with_year ? 1 : 0;
  if (f[o] < 1 || f[o] > 12 || f[o + 1] < 1 || f[o + 1] > 31 || f[o + 2] > 23 || f[o + 3] > 59 ||
      f[o + 4] > 60) {
    return std::nullopt;  // strptime's ranges
  }
  *out = absl::FromCivil(absl::CivilSecond(year, f[o], f[o + 1], f[o + 2], f[o + 3], f[o + 4]),
                         absl::UTCTimeZone()) +
         absl::Nanoseconds(nanos);
  return rest;
}

// -t/-T argument: digits only are a count on every release; a time is
// 'MM-DD hh:mm:ss.mmm' (up to 3 fraction digits) on 5.x-6.0, and from 7.0 also
// 'YYYY-MM-DD hh:mm:ss.mmm...' or 'sssss.mmm...' (android_version.cc has the sources).
// On an argument it cannot read, logcat prints the version's message and exits 1.
bool ParseTail(ShellCall& c, char opt, const std::string& arg, Options* o) {
  if (!arg.empty() && arg.find_first_not_of("0123456789") == std::string::npos) {
    return absl::SimpleAtoi(arg, &o->tail_count);
  }
  const int sdk = c.phone.profile().sdk;
  std::optional<absl::string_view> rest;
  absl::Time t;
  if (LogcatTimeFormsFor(sdk) == LogcatTimeForms::kMonthDayOnly) {
    rest = ParseTimeForm(arg, false, false, 3, &t);
  } else {
    rest = ParseTimeForm(arg, false, false, 9, &t);
    if (!rest) rest = ParseTimeForm(arg, true, false, 9, &t);
    if (!rest) rest = ParseTimeForm(arg, false, true, 9, &t);
  }
  if (!rest) {
    if (sdk <= 22) {
      c.Err(absl::StrFormat("ERROR: -%c \"%s\" not in \"%%m-%%d %%H:%%M:%%S.%%3q\" time format\n",
                            opt, arg));
    } else if (sdk == 23) {
      c.Err(absl::StrFormat("-%c \"%s\" not in \"%%m-%%d %%H:%%M:%%S.%%3q\" time format\n", opt,
                            arg));
    } else {
      c.Err(absl::StrFormat("-%c \"%s\" not in time format\n", opt, arg));
    }
    return false;
  }
  if (!rest->empty()) {
    const size_t used = arg.size() - rest->size();
    c.Err(absl::StrFormat("WARNING: -%c \"%s\"\"%c%s\" time truncated\n", opt,
                          arg.substr(0, used), (*rest)[0], rest->substr(1)));
  }
  o->since = t;
  return true;
}

bool AddFilterSpec(absl::string_view spec, Options* o) {
  size_t colon = spec.rfind(':');
  std::string tag(spec.substr(0, colon));
  int prio = 2;  // "TAG" alone means TAG:V
  if (colon != absl::string_view::npos) {
    absl::string_view p = spec.substr(colon + 1);
    if (p.size() != 1 || PrioValue(p[0]) < 0) return false;
    prio = PrioValue(p[0]);
  }
  if (tag == "*") {
    o->default_prio = prio;
  } else {
    o->filters.emplace_back(tag, prio);
  }
  return true;
}

// Appends `v` right-aligned in `width` columns, as printf's "%5d" does.
void AppendPadded(int64_t v, size_t width, std::string* out) {
  const absl::AlphaNum digits(v);
  if (digits.size() < width) out->append(width - digits.size(), ' ');
  out->append(digits.data(), digits.size());
}

// Appends the fraction of a second: 3 digits, or 6 with -v usec.
void AppendFraction(int64_t us, bool usec, std::string* out) {
  char buf[7];
  int64_t v = usec ? us : us / 1000;
  const int n = usec ? 6 : 3;
  for (int i = n - 1; i >= 0; --i, v /= 10) buf[i] = static_cast<char>('0' + v % 10);
  out->append(buf, static_cast<size_t>(n));
}

void AppendTime(const Options& o, absl::Time t, std::string* out) {
  const int64_t us = absl::ToUnixMicros(t);
  const int64_t second = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
  const int64_t fraction = us - second * 1000000;
  if (o.epoch) {
    AppendPadded(second, 5, out);
  } else {
    if (second != o.cached_second) {
      o.cached_date = absl::FormatTime(o.year ? "%Y-%m-%d %H:%M:%S" : "%m-%d %H:%M:%S",
                                       absl::FromUnixSeconds(second), absl::UTCTimeZone());
      o.cached_second = second;
    }
    out->append(o.cached_date);
  }
  out->push_back('.');
  AppendFraction(fraction, o.usec, out);
}

void FormatEntry(const Options& o, const LogEntry& e, std::string* out) {
  absl::string_view msg = e.message;
  if (absl::EndsWith(msg, "\n")) msg.remove_suffix(1);
  std::string prefix;
  std::string ts;
  if (o.format == "threadtime" || o.format == "time" || o.format == "long") AppendTime(o, e.time, &ts);
  if (o.format == "threadtime") {
    // By hand rather than StrFormat: this is the layout of every streamed line.
    prefix.reserve(ts.size() + 24 + e.tag.size());
    prefix.append(ts).push_back(' ');
    AppendPadded(e.pid, 5, &prefix);
    prefix.push_back(' ');
    AppendPadded(e.tid, 5, &prefix);
    prefix.push_back(' ');
    prefix.push_back(e.priority);
    prefix.push_back(' ');
    prefix.append(e.tag);
    if (e.tag.size() < 8) prefix.append(8 - e.tag.size(), ' ');
    prefix.append(": ");
  } else if (o.format == "time") {
    prefix = absl::StrFormat("%s %c/%-8s(%5d): ", ts, e.priority, e.tag, e.pid);
  } else if (o.format == "brief") {
    prefix = absl::StrFormat("%c/%-8s(%5d): ", e.priority, e.tag, e.pid);
  } else if (o.format == "tag") {
    prefix = absl::StrFormat("%c/%-8s: ", e.priority, e.tag);
  } else if (o.format == "thread") {
    prefix = absl::StrFormat("%c(%5d:%5d) ", e.priority, e.pid, e.tid);
  } else if (o.format == "process") {
    // "%c(%5d) %s  (%s)": the tag goes at the end of each line.
    for (absl::string_view line : absl::StrSplit(msg, '\n')) {
      absl::StrAppendFormat(out, "%c(%5d) %s  (%s)\n", e.priority, e.pid, line, e.tag);
    }
    return;
  } else if (o.format == "long") {
    absl::StrAppendFormat(out, "[ %s %5d:%5d %c/%-8s ]\n%s\n\n", ts, e.pid, e.tid, e.priority,
                          e.tag, msg);
    return;
  }  // raw: no prefix
  for (absl::string_view line : absl::StrSplit(msg, '\n')) {
    absl::StrAppend(out, prefix, line, "\n");
  }
}

bool Wanted(const Options& o, const LogEntry& e) {
  if (o.pid >= 0 && e.pid != o.pid) return false;
  if (e.time < o.since) return false;
  int min = o.default_prio;
  for (const auto& [tag, prio] : o.filters) {
    if (tag == e.tag) {
      min = prio;
      break;
    }
  }
  if (PrioValue(e.priority) < min) return false;
  if (o.regex && !std::regex_search(e.message, *o.regex)) return false;
  return true;
}

int Usage(ShellCall& c, absl::string_view why) {
  c.Err(absl::StrCat("logcat: ", why, "\nUsage: logcat [options] [filterspecs]\n"));
  return 1;
}

// An option this release's getopt does not know (5.x/6.0: no long options, -e, -m; see
// android_version.cc): 5.x prints "Unrecognized Option" and the help, exit(-1); 6.0's
// logcat_panic names the option character, prints the help, exit 1.
int UnknownOption(ShellCall& c, char optopt) {
  const int sdk = c.phone.profile().sdk;
  constexpr absl::string_view kHelp =
      "Usage: logcat [options] [filterspecs]\noptions include:\n"
      "  -s              Set default filter to silent.\n";
  if (sdk <= 22) {
    c.Err(absl::StrCat("Unrecognized Option\n", kHelp));
    return 255;
  }
  c.Err(absl::StrCat("Unrecognized Option ", std::string(1, optopt), "\n", kHelp));
  return 1;
}

int Logcat(ShellCall& c) {
  Options o;
  bool silent = false;
  const auto& argv = c.argv;
  const bool modern_options = LogcatHasPidRegexMaxCount(c.phone.profile().sdk);
  for (size_t i = 1; i < argv.size(); ++i) {
    std::string a = argv[i];
    if (!modern_options && a.size() >= 2 && a[0] == '-' &&
        (a[1] == '-' || a[1] == 'e' || a[1] == 'm')) {
      return UnknownOption(c, a[1]);
    }
    // Options take their value attached (-vthreadtime, --pid=1) or as the next word.
    auto value = [&](absl::string_view opt, std::string* v) -> bool {
      if (a == opt) {
        if (i + 1 >= argv.size()) return false;
        *v = argv[++i];
        return true;
      }
      if (absl::StartsWith(a, opt)) {
        absl::string_view rest = absl::string_view(a).substr(opt.size());
        if (absl::StartsWith(rest, "=")) rest.remove_prefix(1);
        *v = std::string(rest);
        return true;
      }
      return false;
    };
    std::string v;
    if (a == "-d") {
      o.dump = true;
    } else if (a == "-c" || a == "--clear") {
      o.clear = true;
    } else if (a == "-g" || a == "--buffer-size") {
      o.print_size = true;
    } else if (a == "-s") {
      silent = true;
    } else if (a == "-D" || a == "--dividers" || a == "-B" || a == "-Q") {
      continue;
    } else if (value("--format", &v) || value("-v", &v)) {
      for (absl::string_view f : absl::StrSplit(v, absl::ByAnyChar(", "), absl::SkipEmpty())) {
        if (f == "epoch")
          o.epoch = true;
        else if (f == "year")
          o.year = true;
        else if (f == "usec")
          o.usec = true;
        else if (f == "UTC" || f == "color" || f == "printable" || f == "uid" || f == "zone" ||
                 f == "monotonic" || f == "descriptive" || f == "nsec")
          continue;
        else if (f == "threadtime" || f == "time" || f == "brief" || f == "tag" || f == "thread" ||
                 f == "process" || f == "raw" || f == "long")
          o.format = std::string(f);
        else
          return Usage(c, absl::StrCat("Invalid parameter \"", f, "\" to -v"));
      }
    } else if (value("--buffer", &v) || value("-b", &v)) {
      if (!ParseBuffers(v, &o.mask)) return Usage(c, absl::StrCat("Unknown buffer '", v, "'"));
    } else if (value("-t", &v)) {
      o.dump = true;
      if (!ParseTail(c, 't', v, &o)) return 1;
    } else if (value("-T", &v)) {
      if (!ParseTail(c, 'T', v, &o)) return 1;
    } else if (value("--max-count", &v) || value("-m", &v)) {
      if (!absl::SimpleAtoi(v, &o.max_count)) return Usage(c, "Invalid -m argument");
    } else if (value("--pid", &v)) {
      if (!absl::SimpleAtoi(v, &o.pid)) return Usage(c, "Invalid --pid argument");
    } else if (value("--regex", &v) || value("-e", &v)) {
      try {
        o.regex.emplace(v);
      } catch (const std::regex_error&) {
        return Usage(c, absl::StrCat("Invalid regex '", v, "'"));
      }
    } else if (!a.empty() && a[0] == '-') {
      return Usage(c, absl::StrCat("invalid option -- '", a, "'"));
    } else {
      // Filterspecs may arrive as one word with spaces ("tflite:I *:S").
      for (absl::string_view spec : absl::StrSplit(a, ' ', absl::SkipEmpty())) {
        if (!AddFilterSpec(spec, &o)) return Usage(c, absl::StrCat("Invalid filter '", spec, "'"));
      }
    }
  }
  // ANDROID_LOG_TAGS (adb sends "''") is ignored: the filters on the command line win, and
  // the value adb sends means "no filter".
  if (silent) o.default_prio = 8;
  if (o.mask == 0) o.mask = kDefaultLogMask;

  LogBuffer& logs = c.phone.logs();
  if (o.clear) {
    logs.Clear(o.mask);
    return 0;
  }
  if (o.print_size) {
    std::string out;
    for (int id = 0; id < kNumLogIds; ++id) {
      if (!(o.mask & (1u << id))) continue;
      absl::StrAppend(&out, LogIdName(static_cast<LogId>(id)),
                      ": ring buffer is 256 KiB (12 KiB consumed), max entry is 5120 B, "
                      "max payload is 4068 B\n");
    }
    return c.Out(out) ? 0 : 1;
  }

  bool printed_start[kNumLogIds] = {};
  int64_t printed = 0;
  // Formats a batch; returns false when the reader is gone or -m is reached.
  auto emit = [&](const std::vector<LogEntry>& entries) -> bool {
    std::string out;
    for (const LogEntry& e : entries) {
      if (!Wanted(o, e)) continue;
      const int id = static_cast<int>(e.id);
      if (!printed_start[id]) {
        absl::StrAppend(&out, "--------- beginning of ", LogIdName(e.id), "\n");
        printed_start[id] = true;
      }
      FormatEntry(o, e, &out);
      if (out.size() > 65536) {
        if (!c.Out(out)) return false;
        out.clear();
      }
      if (o.max_count >= 0 && ++printed >= o.max_count) {
        c.Out(out);
        return false;
      }
    }
    return out.empty() || c.Out(out);
  };

  uint64_t last_seq = logs.last_seq();
  std::vector<LogEntry> first = logs.Read(o.mask, 0);
  if (!first.empty()) last_seq = std::max(last_seq, first.back().seq);
  if (o.pid >= 0) {  // logd filters by pid before -t counts, the client filters tags later
    std::erase_if(first, [&](const LogEntry& e) { return e.pid != o.pid; });
  }
  if (o.tail_count > 0 && first.size() > o.tail_count) {
    first.erase(first.begin(), first.end() - static_cast<ptrdiff_t>(o.tail_count));
  }
  if (o.max_count == 0) return 0;
  if (!emit(first)) return 0;
  if (o.dump) return 0;

  while (!c.io.Cancelled()) {
    // The bounded wait lets us notice a cancelled stream that nothing else wakes us for.
    if (!logs.WaitNewer(o.mask, last_seq, absl::Milliseconds(250))) continue;
    std::vector<LogEntry> more = logs.Read(o.mask, last_seq);
    if (more.empty()) continue;
    last_seq = more.back().seq;
    if (!emit(more)) return 0;
  }
  return 0;
}

}  // namespace

void RegisterLogcatCommand(ShellCommandTable& t) { t["logcat"] = Logcat; }

}  // namespace benchlab::devsim
