// Background lines from a small catalogue of real-looking system messages.
#include "devsim/phone/log_noise.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "devsim/phone/process_table.h"
#include "devsim/phone/scheduler.h"

namespace benchlab::devsim {
namespace {

struct NoiseLine {
  LogId id;
  int32_t pid;
  int32_t tid;
  char prio;
  const char* tag;
  const char* msg;  // "%d" is replaced by a random number
};

constexpr NoiseLine kLines[] = {
    {LogId::kSystem, kPidSystemServer, 1460, 'I', "ActivityManager",
     "Killing %d:com.google.android.apps.photos/u0a187 (adj 985): empty #17"},
    {LogId::kSystem, kPidSystemServer, 1533, 'D', "BatteryService",
     "Processing new values: info={.chargerAcOnline = false, .chargerUsbOnline = true}"},
    {LogId::kSystem, kPidSystemServer, 1490, 'I', "PowerManagerService",
     "Going to sleep due to timeout (uid 1000)..."},
    {LogId::kSystem, kPidSystemServer, 1468, 'W', "ActivityTaskManager",
     "Activity pause timeout for ActivityRecord{%d u0 com.android.launcher3/.Launcher t1}"},
    {LogId::kMain, kPidSurfaceFlinger, 1006, 'D', "SurfaceFlinger",
     "Display 4619827259835644672 HWC layers: 3, frames: %d"},
    {LogId::kMain, 2210, 2210, 'D', "KeyguardUpdateMonitor",
     "handleBatteryUpdate: level=87 plugged=2"},
    {LogId::kMain, kPidLogd, 533, 'I', "logd",
     "logdr: UID=2000 GID=2000 PID=%d n tail=0 logMask=99 pid=0 start=0ns deadline=0ns"},
    {LogId::kMain, 2634, 2701, 'D', "TelephonyManager", "getSignalStrength: level=3"},
    {LogId::kMain, kPidGms, 3301, 'I', "GmsCoreXrpcWrapper", "Returning a channel provider"},
    {LogId::kMain, kPidGms, 3412, 'W', "GoogleApiManager",
     "The service for com.google.android.gms.internal.%d is not available"},
    {LogId::kMain, 1, 1, 'I', "init", "processing action (sys.usb.state=adb) from (%d)"},
    {LogId::kMain, 951, 1102, 'I', "BufferQueueProducer", "queueBuffer: slot %d is dropped"},
};

// Play services runs its own TFLite models: same tag, another pid.
constexpr const char* kGmsTflite[] = {
    "Initialized TensorFlow Lite runtime.",
    "Created TensorFlow Lite XNNPACK delegate for CPU.",
    // One message; the parentheses tell clang's -Wstring-concatenation it is meant.
    ("Replacing 12 out of 12 node(s) with delegate (TfLiteXNNPackDelegate) node, yielding 1 "
     "partitions for subgraph 0."),
};

}  // namespace

LogNoise::LogNoise(uint64_t seed, const std::string& serial, LogBuffer& logs)
    : logs_(logs), group_(Scheduler::Get().NewGroup()) {
  uint64_t h = seed * 0x9e3779b97f4a7c15ULL;
  for (char c : serial) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  absl::MutexLock lock(&mu_);
  rng_.seed(h);
  ScheduleNextLocked();
}

LogNoise::~LogNoise() { Scheduler::Get().CancelGroup(group_); }

void LogNoise::SetEnabled(bool on) {
  absl::MutexLock lock(&mu_);
  enabled_ = on;
  if (on && !scheduled_) ScheduleNextLocked();
}

void LogNoise::ScheduleNextLocked() {
  scheduled_ = true;
  const int delay_ms = 500 + static_cast<int>(rng_() % 500);
  Scheduler::Get().Add(group_, absl::Now() + absl::Milliseconds(delay_ms), [this] { Tick(); });
}

void LogNoise::Tick() {
  absl::MutexLock lock(&mu_);
  scheduled_ = false;
  if (!enabled_) return;
  ++ticks_;
  const int n = 1 + static_cast<int>(rng_() % 3);
  const absl::Time now = absl::Now();
  for (int i = 0; i < n; ++i) {
    const NoiseLine& l = kLines[rng_() % (sizeof(kLines) / sizeof(kLines[0]))];
    std::string msg = l.msg;
    size_t pos = msg.find("%d");
    if (pos != std::string::npos) msg.replace(pos, 2, absl::StrCat(1000 + rng_() % 30000));
    logs_.Write(l.id, l.pid, l.tid, l.prio, l.tag, msg, now);
  }
  if (rng_() % 6 == 0) {
    const char* msg = kGmsTflite[rng_() % (sizeof(kGmsTflite) / sizeof(kGmsTflite[0]))];
    logs_.Write(LogId::kMain, kPidGms, kPidGms + 214, 'I', "tflite", msg, now);
  }
  ScheduleNextLocked();
}

}  // namespace benchlab::devsim
