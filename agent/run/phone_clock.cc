// The probe (what `date +%s.%3N` prints; whether `logcat -d -T 'sssss.mmm'` is refused),
// its per-transport cache, and the start time in the form the phone takes.
#include "agent/run/phone_clock.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "agent/run/phone_probe_cache.h"
#include "common/shell_quote.h"

namespace benchlab::agent {
namespace {

PhoneProbeCache<PhoneClockCaps>& GetCache() {
  // Never destroyed: runs may outlive static teardown.
  static auto* cache = new PhoneProbeCache<PhoneClockCaps>;
  return *cache;
}

bool AllDigits(absl::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
           return absl::ascii_isdigit(static_cast<unsigned char>(c));
         });
}

// "1712345678.123" -> true (what toybox 0.7.4+ prints for +%s.%3N).
bool IsMillis(absl::string_view s) {
  std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(s, absl::MaxSplits('.', 1));
  return AllDigits(parts.first) && parts.second.size() == 3 && AllDigits(parts.second);
}

}  // namespace

absl::StatusOr<PhoneClockCaps> ProbePhoneClock(adb::AdbClient& adb, const std::string& serial,
                                               absl::Time deadline) {
  PhoneClockCaps caps;
  auto date = adb.Shell(serial, "date +%s.%3N", deadline);
  if (!date.ok()) return date.status();
  const std::string out(absl::StripAsciiWhitespace(date->stdout_data));
  caps.millis = IsMillis(out);
  // Older `date` still prints the seconds before what it made of "%3N".
  int64_t secs = 0;
  const std::string lead = out.substr(0, out.find_first_not_of("0123456789"));
  if (!absl::SimpleAtoi(lead, &secs)) {
    return absl::FailedPreconditionError(
        absl::StrCat("phone ", serial, ": `date +%s.%3N` printed '", out,
                     "', not the seconds since 1970; check the phone's `date` command"));
  }
  // A time a day ahead dumps nothing where the form is understood; older logcat exits 1
  // with '... not in "%m-%d %H:%M:%S.%3q" time format'.
  auto logcat = adb.Shell(serial, absl::StrCat("logcat -d -T ", secs + 86400, ".000 2>&1"), deadline);
  if (!logcat.ok()) return logcat.status();
  const std::string said = logcat->stdout_data + logcat->stderr_data;
  caps.logcat_epoch = logcat->exit_code == 0 && !absl::StrContains(said, "time format");
  return caps;
}

absl::StatusOr<std::string> LogcatStartNow(adb::AdbClient& adb, const std::string& serial,
                                           absl::Time deadline,
                                           const std::function<bool(absl::Duration)>& sleep) {
  auto cached = GetCache().Get(adb, serial, deadline,
                               [&] { return ProbePhoneClock(adb, serial, deadline); });
  if (!cached.ok()) return cached.status();
  const PhoneClockCaps caps = *cached;

  if (caps.millis && caps.logcat_epoch) {
    auto now = adb.Shell(serial, "date +%s.%3N", deadline);
    if (!now.ok()) return now.status();
    std::string since(absl::StripAsciiWhitespace(now->stdout_data));
    if (!IsMillis(since)) {
      ForgetPhoneClock(serial);
      return absl::FailedPreconditionError(absl::StrCat(
          "phone ", serial, ": `date +%s.%3N` printed '", since, "', not seconds.milliseconds"));
    }
    return since;
  }

  // Whole seconds: read the second S (and the local civil time, for old logcat), then
  // wait until the phone is past it. Everything logged before this call is at most in
  // S; everything the run logs is at S+1 or later, so logcat -T S+1 drops exactly the
  // lines from before the start.
  auto now = adb.Shell(serial, absl::StrCat("date ", ShellQuote("+%s %Y-%m-%d %H:%M:%S")),
                       deadline);
  if (!now.ok()) return now.status();
  const std::string said(absl::StripAsciiWhitespace(now->stdout_data));
  std::vector<std::string> f = absl::StrSplit(said, absl::ByAnyChar(" -:"), absl::SkipEmpty());
  int64_t secs = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (f.size() != 7 || !absl::SimpleAtoi(f[0], &secs) || !absl::SimpleAtoi(f[1], &y) ||
      !absl::SimpleAtoi(f[2], &mo) || !absl::SimpleAtoi(f[3], &d) || !absl::SimpleAtoi(f[4], &h) ||
      !absl::SimpleAtoi(f[5], &mi) || !absl::SimpleAtoi(f[6], &s)) {
    return absl::FailedPreconditionError(
        absl::StrCat("phone ", serial, ": `date '+%s %Y-%m-%d %H:%M:%S'` printed '", said,
                     "'; check the phone's `date` command"));
  }
  if (sleep(absl::Seconds(1))) return absl::CancelledError("cancelled");
  if (caps.logcat_epoch) return absl::StrCat(secs + 1, ".000");
  // logcat before 7.0 reads 'MM-DD hh:mm:ss.mmm' as the phone's local time, this year.
  const absl::CivilSecond next = absl::CivilSecond(y, mo, d, h, mi, s) + 1;
  return absl::StrFormat("%02d-%02d %02d:%02d:%02d.000", next.month(), next.day(), next.hour(),
                         next.minute(), next.second());
}

void ForgetPhoneClock(const std::string& serial) { GetCache().Forget(serial); }

}  // namespace benchlab::agent
