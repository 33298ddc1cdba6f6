// Where a run's `logcat -T` starts: the phone's clock read in the finest form its `date`
// offers, written in a time form its logcat accepts. What the phone can do is probed once
// per phone (per adb transport) and cached for the process.
//
// Why: `date +%s.%3N` needs toybox 0.7.4+ (Android 8.1+); older `date` passes %3N to
// strftime and prints "<secs>.3N". logcat takes 'sssss.mmm' only from Android 7.0; before
// that only 'MM-DD hh:mm:ss.mmm' in the phone's local time.
//
// Threading: thread-safe; several runs on different phones may call it at once.
#ifndef BENCHLAB_AGENT_RUN_PHONE_CLOCK_H_
#define BENCHLAB_AGENT_RUN_PHONE_CLOCK_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/adb/adb_client.h"

namespace benchlab::agent {

// What one phone's clock and logcat can do.
struct PhoneClockCaps {
  bool millis = false;        // `date +%s.%3N` prints milliseconds
  bool logcat_epoch = false;  // `logcat -T 'sssss.mmm'` is accepted
};

// Probes `serial` (two short shell calls). An adb error comes back as is;
// FailedPrecondition when the phone's `date +%s` does not print seconds at all.
absl::StatusOr<PhoneClockCaps> ProbePhoneClock(adb::AdbClient& adb, const std::string& serial,
                                               absl::Time deadline);

// The `logcat -T` argument for "from now on": lines logged after this returns are at or
// after it, lines logged before it was called are before it. Uses the cached probe of
// this phone (probing on first use). A phone whose clock has only whole seconds costs one
// second here: `sleep(d)` waits for the next second (returns true when the run was
// cancelled; then the result is Cancelled).
absl::StatusOr<std::string> LogcatStartNow(adb::AdbClient& adb, const std::string& serial,
                                           absl::Time deadline,
                                           const std::function<bool(absl::Duration)>& sleep);

// Drops the cached probe of `serial` (after its logcat refused our start time).
void ForgetPhoneClock(const std::string& serial);

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_RUN_PHONE_CLOCK_H_
