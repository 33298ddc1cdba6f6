// devsim_phone_bench: what simulated phones cost. Prints memory per phone (idle and with
// full log buffers), shell command rate, `logcat -d` formatting rate, and how late the
// shared scheduler delivers when many phones run the benchmark app at once.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "devsim/phone/fake_artifacts.h"
#include "devsim/phone/log_buffer.h"
#include "devsim/phone/phone.h"
#include "devsim/phone/vfs.h"

namespace {

using benchlab::devsim::CommandIo;
using benchlab::devsim::LogBuffer;
using benchlab::devsim::LogEntry;
using benchlab::devsim::LogId;
using benchlab::devsim::MakeFakeApk;
using benchlab::devsim::MakeFakeModel;
using benchlab::devsim::MakeProfile;
using benchlab::devsim::Phone;

class NullIo : public CommandIo {
 public:
  bool WriteStdout(absl::string_view d) override {
    bytes += d.size();
    return true;
  }
  bool WriteStderr(absl::string_view d) override { return true; }
  std::string ReadStdin(size_t) override { return ""; }
  bool Cancelled() override { return false; }
  size_t bytes = 0;
};

class ApkIo : public NullIo {
 public:
  explicit ApkIo(std::string apk) : apk_(std::move(apk)) {}
  std::string ReadStdin(size_t max) override {
    std::string r = apk_.substr(pos_, max);
    pos_ += r.size();
    return r;
  }

 private:
  std::string apk_;
  size_t pos_ = 0;
};

long RssKb() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace

int main() {
  constexpr int kPhones = 200;
  const long rss0 = RssKb();
  std::vector<std::unique_ptr<Phone>> phones;
  for (int i = 0; i < kPhones; ++i) {
    phones.push_back(std::make_unique<Phone>(MakeProfile(1, i), 1, absl::Seconds(1)));
  }
  const long rss1 = RssKb();
  std::printf("idle phones: %d, RSS per phone: %.1f KB\n", kPhones,
              static_cast<double>(rss1 - rss0) / kPhones);

  // Fill every buffer to its bound with typical benchmark-length lines.
  const std::string msg = "count=76 first=13173 curr=12803 min=12547 max=17404 avg=13232.1 std=565";
  for (auto& p : phones) {
    for (int i = 0; i < 4096; ++i) {
      p->logs().Write(LogId::kMain, 6843, 6843, 'I', "tflite", msg);
      p->logs().Write(LogId::kSystem, 1402, 1460, 'I', "ActivityManager", msg);
    }
  }
  const long rss2 = RssKb();
  const size_t kept = phones[0]->logs().Read(benchlab::devsim::kAllLogMask, 0).size();
  std::printf("phones with full main+system buffers (%zu entries kept): RSS per phone: %.1f KB\n",
              kept, static_cast<double>(rss2 - rss0) / kPhones);

  Phone& p0 = *phones[0];
  {
    NullIo io;
    const int kRuns = 20;
    const absl::Time t0 = absl::Now();
    for (int i = 0; i < kRuns; ++i) p0.RunShell("logcat -d -v threadtime", io);
    const double secs = absl::ToDoubleSeconds(absl::Now() - t0);
    std::printf("logcat -d of %zu entries: %.2f M lines/s, %.0f MB/s\n", kept,
                static_cast<double>(kRuns * kept) / secs / 1e6,
                static_cast<double>(io.bytes) / secs / 1e6);
  }
  {
    NullIo io;
    const int kRuns = 100000;
    const absl::Time t0 = absl::Now();
    for (int i = 0; i < kRuns; ++i) p0.RunShell("getprop ro.product.model", io);
    const double secs = absl::ToDoubleSeconds(absl::Now() - t0);
    std::printf("RunShell(\"getprop ro.product.model\"): %.0f commands/s (%.1f us each)\n",
                kRuns / secs, secs / kRuns * 1e6);
  }

  // All phones run the benchmark app at once (1 s run duration each).
  const std::string apk = MakeFakeApk();
  for (auto& p : phones) {
    ApkIo io(apk);
    p->InstallStreamed({"-r"}, static_cast<int64_t>(apk.size()), io);
    (void)p->fs().Write("/data/local/tmp/m.tflite", MakeFakeModel(4000000, 1));
    p->logs().Clear(benchlab::devsim::kAllLogMask);
  }
  const absl::Time t0 = absl::Now();
  for (auto& p : phones) {
    NullIo io;
    p->RunShell(
        "am start -S -n org.tensorflow.lite.benchmark/.BenchmarkModelActivity "
        "--es args '--graph=/data/local/tmp/m.tflite --num_threads=4'",
        io);
  }
  const absl::Time started = absl::Now();
  int done = 0;
  while (done < kPhones && absl::Now() - t0 < absl::Seconds(30)) {
    done = 0;
    for (auto& p : phones) {
      for (const LogEntry& e : p->logs().Read(1, 0)) {
        if (e.message.rfind("Memory footprint delta", 0) == 0) {
          ++done;
          break;
        }
      }
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  std::printf(
      "%d phones: am start x%d took %.1f ms; all summaries after %.0f ms "
      "(planned: 970 ms after each start)\n",
      kPhones, kPhones, absl::ToDoubleMilliseconds(started - t0),
      absl::ToDoubleMilliseconds(absl::Now() - t0));
  std::printf("final RSS per phone: %.1f KB\n", static_cast<double>(RssKb() - rss0) / kPhones);
  return 0;
}
