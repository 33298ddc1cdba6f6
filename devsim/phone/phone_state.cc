// PhoneState: fault switch, system properties and the parts a phone is made of.
#include "devsim/phone/phone_state.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "devsim/phone/battery.h"
#include "devsim/phone/benchmark_app.h"
#include "devsim/phone/fake_artifacts.h"
#include "devsim/phone/log_noise.h"
#include "devsim/phone/package_manager.h"
#include "devsim/phone/perf_knobs.h"
#include "devsim/phone/thermal.h"
#include "devsim/phone/process_table.h"
#include "spdlog/spdlog.h"

namespace benchlab::devsim {
namespace {

// ro.build.id of a late security release of each SDK level (AOSP's build numbers).
std::string BuildId(int sdk) {
  switch (sdk) {
    case 21: return "LRX22G";
    case 22: return "LMY48M";
    case 23: return "MMB29M";
    case 24: return "NRD90M";
    case 25: return "NMF26F";
    case 26: return "OPR1.170623.027";
    case 27: return "OPM1.171019.011";
    case 28: return "PQ3A.190801.002";
    case 29: return "QQ3A.200805.001";
    case 30: return "RQ3A.211001.001";
    case 31: return "SQ3A.220705.003";
    case 32: return "SQ3A.220705.004";
    case 33: return "TQ3A.230901.001";
    default: return "UQ1A.240205.004";
  }
}

std::map<std::string, std::string> MakeProperties(const PhoneProfile& p) {
  const std::string build_id = BuildId(p.sdk);
  const std::string fingerprint =
      absl::StrCat(p.manufacturer, "/", p.product_name, "/", p.device, ":", p.android_release, "/",
                   build_id, "/11223344:user/release-keys");
  return {
      {"dev.bootcomplete", "1"},
      {"persist.sys.timezone", "Etc/UTC"},
      {"persist.sys.usb.config", "adb"},
      {"ro.board.platform", absl::AsciiStrToLower(p.soc_model)},
      {"ro.boot.serialno", p.serialno},
      {"ro.build.characteristics", "default"},
      {"ro.build.fingerprint", fingerprint},
      {"ro.build.id", build_id},
      {"ro.build.tags", "release-keys"},
      {"ro.build.type", "user"},
      {"ro.build.version.release", p.android_release},
      {"ro.build.version.sdk", absl::StrCat(p.sdk)},
      {"ro.build.version.security_patch", "2024-02-05"},
      {"ro.debuggable", "0"},
      {"ro.hardware", p.device},
      {"ro.product.board", p.device},
      {"ro.product.brand", p.manufacturer},
      {"ro.product.cpu.abi", p.abi},
      {"ro.product.cpu.abilist", absl::StrCat(p.abi, ",armeabi-v7a,armeabi")},
      {"ro.product.device", p.device},
      {"ro.product.locale", "en-US"},
      {"ro.product.manufacturer", p.manufacturer},
      {"ro.product.model", p.model},
      {"ro.product.name", p.product_name},
      {"ro.secure", "1"},
      {"ro.serialno", p.serialno},
      {"ro.soc.manufacturer", absl::StartsWith(p.soc_model, "SM")       ? "QTI"
                              : absl::StartsWith(p.soc_model, "MT")     ? "Mediatek"
                              : absl::StartsWith(p.soc_model, "Tensor") ? "Google"
                                                                        : "Samsung"},
      {"ro.soc.model", p.soc_model},
      {"service.adb.root", "0"},
      {"sys.boot_completed", "1"},
      {"sys.usb.state", "adb"},
  };
}

}  // namespace

bool IsLinkFault(Fault fault) {
  return fault == Fault::kDisconnect || fault == Fault::kUnauthorized || fault == Fault::kSlowLink;
}

PhoneState::PhoneState(const PhoneProfile& profile, uint64_t seed, absl::Duration run_duration,
                       Vfs& fs, LogBuffer& logs, const PhoneSimOptions& sim)
    : profile_(profile),
      seed_(seed),
      run_duration_(run_duration),
      fs_(fs),
      logs_(logs),
      properties_(MakeProperties(profile)),
      procs_(std::make_unique<ProcessTable>(seed)),
      thermal_(std::make_unique<Thermal>(
          profile.battery_temp_c,
          ThermalOptions{sim.thermal_tau_s, sim.thermal_time_scale, sim.throttle_c})),
      battery_(std::make_unique<Battery>(profile.battery_level, *thermal_)),
      knobs_(std::make_unique<PerfKnobs>(sim.noise_cv_pct, sim.drift_pct, sim.drift_period_s, seed)),
      start_(absl::Now()),
      packages_(std::make_unique<PackageManager>(seed, profile.sdk, fs, logs)),
      app_(std::make_unique<BenchmarkApp>(*this)),
      noise_(std::make_unique<LogNoise>(seed, profile.serialno, logs)) {
  AddKernelFiles(*this);
}

bool PhoneState::screen_on() const {
  absl::MutexLock lock(&mu_);
  return screen_on_;
}

void PhoneState::SetScreenOn(bool on) {
  absl::MutexLock lock(&mu_);
  screen_on_ = on;
}

double PhoneState::SimUptimeS() const { return thermal_->SimSeconds(start_, absl::Now()); }

PhoneState::~PhoneState() {
  // Stop the timed writers before the parts they write to go away.
  noise_.reset();
  app_.reset();
}

std::string PhoneState::InstallApk(const std::vector<std::string>& args, std::string apk) {
  const bool replacing_app = packages_->Find(std::string(kBenchmarkPackage)).has_value();
  const size_t size = apk.size();
  std::string result = packages_->Install(args, std::move(apk));
  spdlog::info("devsim install serial={} bytes={} result=\"{}\"", profile_.serialno, size, result);
  if (result == "Success" && replacing_app && app_->pid() != 0) app_->ForceStop(kPidSystemServer);
  return result;
}

void PhoneState::SetBackgroundLogs(bool on) { noise_->SetEnabled(on); }

Fault PhoneState::fault() const {
  absl::MutexLock lock(&mu_);
  return fault_;
}

void PhoneState::SetFault(Fault fault) {
  spdlog::info("devsim fault set serial={} fault={}", profile_.serialno,
               std::string(FaultName(fault)));
  std::function<void(Fault)> listener;
  {
    absl::MutexLock lock(&mu_);
    fault_ = fault;
    if (IsLinkFault(fault)) listener = listener_;
  }
  // Outside the lock: the transport may call back into the phone.
  if (listener) listener(fault);
  // A crash or hang set during a run takes effect at once ("trigger it mid-run").
  app_->InjectFault(fault);
}

void PhoneState::SetLinkFaultListener(std::function<void(Fault)> listener) {
  absl::MutexLock lock(&mu_);
  listener_ = std::move(listener);
}

}  // namespace benchlab::devsim
