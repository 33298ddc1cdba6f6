// benchlab-devsim: serves simulated Android phones that the real adb server adopts with
// `adb connect 127.0.0.1:PORT`. Also writes fake benchmark APKs and models for demos.
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/version.h"
#include "devsim/devsim_server.h"
#include "devsim/phone/cpu_topology.h"
#include "devsim/phone/fake_artifacts.h"
#include "devsim/phone/perf_knobs.h"
#include "spdlog/spdlog.h"

namespace {

constexpr char kDefaultFeatures[] =
    "shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir,apex,abb,abb_exec,fixed_push_symlink_timestamp,"
    "remount_shell";

bool WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  using benchlab::devsim::Fault;
  CLI::App app{"benchlab-devsim: simulated Android phones for the real adb server"};
  int port = 0, count = 1, control_port = 0;
  uint64_t seed = 1;
  double run_seconds = 3.0, model_mb = 4.0;
  std::string features = kDefaultFeatures, make_apk, make_model, make_binary, binary_flavor = "tflite";
  std::string apk_package(benchlab::devsim::kBenchmarkPackage);
  int64_t apk_bytes = 0;
  int apk_min_sdk = benchlab::devsim::kBenchmarkApkMinSdk;
  int64_t apk_version_code = benchlab::devsim::kBenchmarkApkVersionCode;
  std::string apk_version_name(benchlab::devsim::kBenchmarkApkVersionName);
  std::vector<std::string> fault_specs, android_specs;
  bool verbose = false;
  app.add_option("--port", port, "first TCP port; phone i listens on PORT+i (127.0.0.1)");
  app.add_option("--count", count, "number of phones served by this process")->check(CLI::Range(1, 4096));
  app.add_option("--seed", seed, "seed of the phones' identities and numbers");
  app.add_option("--run-seconds", run_seconds, "wall time of one benchmark run")->check(CLI::Range(0.05, 3600.0));
  app.add_option("--features", features,
                 "adb features in the CNXN banner, comma-separated; 'none' for a legacy phone (v1 shell, "
                 "STAT/LIST, push + pm install)");
  app.add_option("--fault", fault_specs,
                 "INDEX=NAME, per phone: graph-missing, invalid-flag, crash, hang, bad-model, "
                 "disconnect, unauthorized, slow-link, delegate-none, result-skew");
  app.add_option("--android", android_specs,
                 "[INDEX=]RELEASE: the Android release of phone INDEX (or of every phone): 5.1, 6.0, "
                 "7.0, 7.1, 8.0, 8.1, 9, 10, 11, 12, 12L, 13, 14; its date and logcat behave as that "
                 "release's do");
  app.add_option("--control-port", control_port,
                 "loopback text control port: list | fault I NAME | unplug I | plug I | status I | temp I C | "
                 "soc-temp I C | battery I PCT | charging I none|usb|ac|wireless | screen I on|off | "
                 "noise I PCT | slowdown I SHA256 PCT | slowdown I clear");
  app.add_option("--make-apk", make_apk, "write a fake benchmark APK to this path and exit");
  app.add_option("--apk-package", apk_package, "package name in --make-apk's manifest");
  app.add_option("--apk-bytes", apk_bytes, "approximate size of --make-apk (default about 8 KB)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 30));
  app.add_option("--apk-min-sdk", apk_min_sdk,
                 "minSdkVersion in --make-apk's manifest (default 23, like the real benchmark APK); a "
                 "phone of a lower SDK refuses it with INSTALL_FAILED_OLDER_SDK")
      ->check(CLI::Range(1, 99));
  app.add_option("--apk-version-code", apk_version_code,
                 "android:versionCode in --make-apk's manifest (default 1; `dumpsys package` shows it)")
      ->check(CLI::Range(int64_t{0}, int64_t{2147483647}));
  app.add_option("--apk-version-name", apk_version_name,
                 "android:versionName in --make-apk's manifest (default devsim)");
  bool apk_not_debuggable = false;
  app.add_flag("--apk-not-debuggable", apk_not_debuggable,
               "leave android:debuggable out of --make-apk's manifest (the real benchmark APK has it; "
               "`run-as` then refuses the package)");
  app.add_option("--make-binary", make_binary,
                 "write a fake native benchmark_model binary to this path and exit (it runs on the "
                 "simulated phones once pushed and made executable)");
  app.add_option("--flavor", binary_flavor,
                 "--make-binary's tool: tflite (the classic benchmark_model) or litert (the LiteRT "
                 "CompiledModel benchmark_model)")
      ->check(CLI::IsMember({"tflite", "litert"}));
  app.add_option("--make-model", make_model, "write a fake .tflite model to this path and exit");
  app.add_option("--model-mb", model_mb, "size of --make-model in MB")->check(CLI::Range(0.001, 4096.0));
  benchlab::devsim::PhoneSimOptions sim;
  std::vector<std::string> slowdown_specs;
  app.add_option("--thermal-tau", sim.thermal_tau_s,
                 "cooling time constant of a phone's SoC in simulated seconds (default 40)")
      ->check(CLI::Range(0.1, 36000.0));
  app.add_option("--thermal-time-scale", sim.thermal_time_scale,
                 "simulated seconds per wall second for heat and charge (default 1; tests use "
                 "10-40 so a phone cools in a second)")
      ->check(CLI::Range(0.01, 10000.0));
  app.add_option("--throttle-c", sim.throttle_c,
                 "SoC temperature (°C) above which the big clusters' frequency drops and thermal "
                 "status rises (default 42)")
      ->check(CLI::Range(20.0, 100.0));
  app.add_option("--noise-cv", sim.noise_cv_pct,
                 "run-to-run coefficient of variation of a run's mean latency, % (default 1.5)")
      ->check(CLI::Range(0.0, 50.0));
  app.add_option("--drift-pct", sim.drift_pct,
                 "amplitude of the slow drift of a phone's speed, % (default 0.5; period 30 "
                 "simulated minutes)")
      ->check(CLI::Range(0.0, 50.0));
  app.add_option("--slowdown", slowdown_specs,
                 "[INDEX=]SHA256:PCT, repeatable: the model with this sha256 runs PCT % slower on "
                 "phone INDEX (or on every phone)");
  std::vector<std::string> topology_specs;
  app.add_option("--cpu-topology", topology_specs,
                 "[INDEX=]COUNTxGHZ+COUNTxGHZ..., repeatable: the CPU clusters of phone INDEX (or of every "
                 "phone), little first, each COUNT CPUs of max frequency GHZ; e.g. 0=4x1.8+4x2.4 "
                 "1=4x1.8+3x2.4+1x3.0 (cpufreq files, taskset and run speed follow)");
  app.add_flag("--verbose", verbose, "log protocol events");
  app.set_version_flag("--version", std::string("benchlab-devsim ") + benchlab::kVersion);
  CLI11_PARSE(app, argc, argv);
  spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::warn);

  if (!make_apk.empty() || !make_model.empty() || !make_binary.empty()) {
    if (!make_binary.empty() && !WriteBytes(make_binary, benchlab::devsim::MakeFakeBinary(binary_flavor))) {
      std::cerr << "benchlab-devsim: cannot write " << make_binary << "\n";
      return 1;
    }
    if (!make_apk.empty() && !WriteBytes(make_apk, benchlab::devsim::MakeFakeApk(apk_bytes, apk_package, apk_min_sdk,
                                                                      apk_version_code, apk_version_name,
                                                                      !apk_not_debuggable))) {
      std::cerr << "benchlab-devsim: cannot write " << make_apk << "\n";
      return 1;
    }
    if (!make_model.empty() &&
        !WriteBytes(make_model, benchlab::devsim::MakeFakeModel(static_cast<int64_t>(model_mb * 1e6), seed))) {
      std::cerr << "benchlab-devsim: cannot write " << make_model << "\n";
      return 1;
    }
    return 0;
  }
  if (port <= 0 || port + count - 1 > 65535) {
    std::cerr << "benchlab-devsim: --port is required (1-65535)\n";
    return 2;
  }
  // The adb server scans 5555-5585 for emulators and would adopt a phone there twice.
  if (port <= 5585 && port + count - 1 >= 5555) {
    std::cerr << "benchlab-devsim: ports 5555-5585 are scanned by the adb server; choose others\n";
    return 2;
  }
  if (features == "none") features.clear();

  benchlab::devsim::DevsimOptions options;
  options.base_port = port;
  options.count = count;
  options.seed = seed;
  options.run_duration = absl::Seconds(run_seconds);
  options.features = features;
  for (const std::string& spec : fault_specs) {
    std::vector<std::string> parts = absl::StrSplit(spec, absl::MaxSplits('=', 1));
    int index = -1;
    Fault fault;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &index) ||
        !benchlab::devsim::ParseFault(parts[1], &fault)) {
      std::cerr << "benchlab-devsim: bad --fault '" << spec << "' (want INDEX=NAME)\n";
      return 2;
    }
    options.faults.emplace_back(index, fault);
  }

  options.sim = sim;
  for (const std::string& spec : slowdown_specs) {
    benchlab::devsim::DevsimOptions::Slowdown sd;
    if (absl::Status st = benchlab::devsim::ParseSlowdownSpec(spec, &sd.index, &sd.sha256, &sd.pct);
        !st.ok()) {
      std::cerr << "benchlab-devsim: " << st.message() << "\n";
      return 2;
    }
    options.slowdowns.push_back(sd);
  }

  for (const std::string& spec : topology_specs) {
    std::pair<int, std::vector<benchlab::devsim::CpuCluster>> topology;
    if (absl::Status st = benchlab::devsim::ParseCpuTopologySpec(spec, &topology.first, &topology.second); !st.ok()) {
      std::cerr << "benchlab-devsim: " << st.message() << "\n";
      return 2;
    }
    options.cpu_topologies.push_back(std::move(topology));
  }

  for (const std::string& spec : android_specs) {
    std::vector<std::string> parts = absl::StrSplit(spec, absl::MaxSplits('=', 1));
    int index = -1;
    benchlab::devsim::AndroidRelease release;
    if ((parts.size() == 2 && !absl::SimpleAtoi(parts[0], &index)) ||
        !benchlab::devsim::ParseAndroidRelease(parts.back(), &release)) {
      std::cerr << "benchlab-devsim: bad --android '" << spec << "' (want [INDEX=]RELEASE, RELEASE one of "
                << absl::StrJoin(benchlab::devsim::KnownAndroidReleases(), " ") << ")\n";
      return 2;
    }
    options.android.emplace_back(index, release);
  }

  // Block the stop signals in every thread; the main thread waits for them below.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto* server = new benchlab::devsim::DevsimServer(options);  // lives until exit
  if (absl::Status st = server->Start(); !st.ok()) {
    std::cerr << "benchlab-devsim: " << st.message() << "\n";
    return 1;
  }
  if (control_port > 0) {
    if (absl::Status st = server->StartControl(control_port); !st.ok()) {
      std::cerr << "benchlab-devsim: control port: " << st.message() << "\n";
      return 1;
    }
  }
  std::printf("benchlab-devsim: %d phone(s) on 127.0.0.1:%d-%d\n", count, port, port + count - 1);
  std::fflush(stdout);
  int signo = 0;
  sigwait(&stop, &signo);
  std::fflush(stdout);
  std::_Exit(0);  // phones and their threads go with the process
}
