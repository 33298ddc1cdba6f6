// The thermal, battery and perturbation model of a simulated phone: heat under load,
// Newton cooling at idle, throttling above the point, battery drain and charge, the noise
// coefficient of variation, and slowdowns that hit only the chosen model on the chosen phone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "devsim/phone/battery.h"
#include "devsim/phone/digest.h"
#include "devsim/phone/fake_artifacts.h"
#include "devsim/phone/latency_model.h"
#include "devsim/phone/log_buffer.h"
#include "devsim/phone/perf_knobs.h"
#include "devsim/phone/phone.h"
#include "devsim/phone/thermal.h"
#include "devsim/phone/vfs.h"
#include "tests/unit/devsim_phone_test_io.h"

namespace benchlab::devsim {
namespace {

using ::testing::HasSubstr;

// A clock the test moves by hand.
struct FakeClock {
  absl::Time now = absl::FromUnixSeconds(1700000000);
  Thermal::Clock Fn() {
    return [this] { return now; };
  }
};

TEST(ThermalTest, HeatsWithLoadDurationAndThreads) {
  FakeClock clock;
  Thermal one(30, ThermalOptions(), clock.Fn()), four(30, ThermalOptions(), clock.Fn()),
      longer(30, ThermalOptions(), clock.Fn());
  one.Heat(2, 0.45);     // 1 thread: load 0.45
  four.Heat(2, 1.0);     // 4 threads: load 1.0
  longer.Heat(6, 1.0);   // a 3x longer run
  EXPECT_GT(one.soc_c(), 30.5);
  EXPECT_GT(four.soc_c(), one.soc_c() + 1);
  EXPECT_GT(longer.soc_c(), four.soc_c() + 3);
  // The battery follows the SoC, cooler; so does the skin.
  EXPECT_GT(four.battery_c(), 30.5);
  EXPECT_LT(four.battery_c(), four.soc_c());
  EXPECT_LT(four.skin_c(), four.soc_c());
  EXPECT_GT(four.skin_c(), four.battery_c());
}

TEST(ThermalTest, CoolsExponentiallyTowardAmbientAtIdle) {
  FakeClock clock;
  ThermalOptions o;
  o.tau_s = 40;
  Thermal t(30, o, clock.Fn());
  t.SetSocTemp(50);
  clock.now += absl::Seconds(40);
  EXPECT_NEAR(t.soc_c(), 30 + 20 * std::exp(-1.0), 1e-9);
  clock.now += absl::Seconds(400);
  EXPECT_NEAR(t.soc_c(), 30, 0.01);

  // The time scale makes simulated time run faster: 2 wall seconds at x20 = 40 s.
  o.time_scale = 20;
  Thermal fast(30, o, clock.Fn());
  fast.SetSocTemp(50);
  clock.now += absl::Seconds(2);
  EXPECT_NEAR(fast.soc_c(), 30 + 20 * std::exp(-1.0), 1e-9);
}

TEST(ThermalTest, SustainedLoadSaturatesBelowTheCeiling) {
  FakeClock clock;
  Thermal t(30, ThermalOptions(), clock.Fn());
  double last = 30;
  for (int i = 0; i < 200; ++i) {
    t.Heat(3, 1.0);
    clock.now += absl::Seconds(1);  // back to back: barely any cooling
    EXPECT_LE(t.soc_c(), 30 + ThermalOptions().max_excess_c);
    last = t.soc_c();
  }
  EXPECT_GT(last, 50);  // hot, throttled hard
  EXPECT_LT(t.big_freq_factor(), 0.7);
}

TEST(ThermalTest, ThrottlesAndRaisesStatusAboveThePoint) {
  FakeClock clock;
  ThermalOptions o;
  o.throttle_c = 42;
  Thermal t(30, o, clock.Fn());
  EXPECT_EQ(t.status(), ThermalStatus::kNone);
  EXPECT_EQ(t.big_freq_factor(), 1.0);
  t.SetSocTemp(41.9);
  EXPECT_EQ(t.status(), ThermalStatus::kNone);
  EXPECT_EQ(t.big_freq_factor(), 1.0);
  t.SetSocTemp(42.5);
  EXPECT_EQ(t.status(), ThermalStatus::kLight);
  EXPECT_NEAR(t.big_freq_factor(), 0.975, 1e-9);
  t.SetSocTemp(47);
  EXPECT_EQ(t.status(), ThermalStatus::kModerate);
  EXPECT_NEAR(t.big_freq_factor(), 0.75, 1e-9);
  t.SetSocTemp(51);
  EXPECT_EQ(t.status(), ThermalStatus::kSevere);
  t.SetSocTemp(90);
  EXPECT_EQ(t.status(), ThermalStatus::kShutdown);
  EXPECT_EQ(t.big_freq_factor(), 0.45);  // the floor
  // Setting the battery temperature puts the SoC where the battery reads that.
  t.SetBatteryTemp(40);
  EXPECT_NEAR(t.battery_c(), 40, 1e-9);
  EXPECT_GT(t.soc_c(), 40);
  // Cooling lifts the throttle again.
  clock.now += absl::Seconds(600);
  EXPECT_EQ(t.status(), ThermalStatus::kNone);
  EXPECT_EQ(t.big_freq_factor(), 1.0);
}

TEST(BatteryTest, DrainsUnderLoadUnlessCharging) {
  FakeClock clock;
  Thermal t(30, ThermalOptions(), clock.Fn());
  Battery b(80, t);
  EXPECT_EQ(b.charger(), Charger::kUsb);
  EXPECT_EQ(b.status(), kBatteryStatusCharging);
  b.Drain(400, 1.0);  // on USB: the charger keeps up
  EXPECT_EQ(b.level(), 80);
  b.SetCharger(Charger::kNone);
  EXPECT_EQ(b.status(), kBatteryStatusDischarging);
  b.Drain(400, 1.0);  // 400 s of full load: 10 %
  EXPECT_EQ(b.level(), 70);
  b.Drain(400, 0.5);
  EXPECT_EQ(b.level(), 65);
  clock.now += absl::Hours(1);  // idle unplugged: no charge
  EXPECT_EQ(b.level(), 65);
  b.SetCharger(Charger::kAc);  // AC fills 100 % in 2 h
  clock.now += absl::Minutes(36);
  EXPECT_EQ(b.level(), 95);
  clock.now += absl::Hours(1);
  EXPECT_EQ(b.level(), 100);
  EXPECT_EQ(b.status(), kBatteryStatusFull);
  b.SetLevel(3);
  EXPECT_EQ(b.level(), 3);
}

RunConfig FourThreads() {
  RunConfig c;
  c.model_size_bytes = 4000000;
  c.num_threads = 4;
  return c;
}

double Mean(const std::vector<int64_t>& v) {
  double s = 0;
  for (int64_t x : v) s += static_cast<double>(x);
  return s / static_cast<double>(v.size());
}

struct Moments {
  double mean = 0, cv = 0;
};
// Mean and CV of the per-run averages ("Inference (avg)") over `n` runs.
Moments RunAverages(const RunPerf& perf, int n, uint64_t seed = 1) {
  const PhoneProfile p = MakeProfile(1, 0);
  std::vector<double> avgs;
  for (int i = 0; i < n; ++i) {
    avgs.push_back(Mean(ComputeRun(p, RunSeed(seed, p, i), perf, FourThreads()).timed_us));
  }
  Moments m;
  for (double a : avgs) m.mean += a;
  m.mean /= n;
  double var = 0;
  for (double a : avgs) var += (a - m.mean) * (a - m.mean);
  m.cv = std::sqrt(var / (n - 1)) / m.mean;
  return m;
}

TEST(NoiseTest, RunToRunCvFollowsTheKnob) {
  RunPerf two;
  two.noise_cv = 0.02;
  const Moments m2 = RunAverages(two, 600);
  // The knob sets the run-level noise; iterations' own noise and preempted outliers add a
  // little on top (about 0.5-1 % in quadrature for this model).
  EXPECT_GT(m2.cv, 0.018);
  EXPECT_LT(m2.cv, 0.026);
  RunPerf five;
  five.noise_cv = 0.05;
  const Moments m5 = RunAverages(five, 600);
  EXPECT_GT(m5.cv, 0.045);
  EXPECT_LT(m5.cv, 0.056);
  RunPerf none;
  none.noise_cv = 0;
  EXPECT_LT(RunAverages(none, 300).cv, 0.012);
  // Noise does not move the mean.
  EXPECT_NEAR(m5.mean / m2.mean, 1.0, 0.01);
}

TEST(NoiseTest, ThrottledRunsAreSlowerAndNoisier) {
  RunPerf cool, hot;
  hot.big_freq_factor = 0.7;
  const Moments c = RunAverages(cool, 300), h = RunAverages(hot, 300);
  EXPECT_NEAR(h.mean / c.mean, 1 / 0.7, 0.03);
  EXPECT_GT(h.cv, c.cv * 1.3);
}

TEST(NoiseTest, DriftAndSlowdownScaleTheMean) {
  RunPerf base, slow;
  base.noise_cv = slow.noise_cv = 0.01;
  slow.slowdown_factor = 1.05;
  EXPECT_NEAR(RunAverages(slow, 200).mean / RunAverages(base, 200).mean, 1.05, 0.005);

  PerfKnobs knobs(1.5, 0.5, 1800, 7);
  double lo = 2, hi = 0;
  for (int s = 0; s < 1800; s += 10) {
    lo = std::min(lo, knobs.DriftFactor(s));
    hi = std::max(hi, knobs.DriftFactor(s));
  }
  EXPECT_NEAR(lo, 0.995, 1e-4);
  EXPECT_NEAR(hi, 1.005, 1e-4);
  EXPECT_NEAR(knobs.DriftFactor(100), knobs.DriftFactor(100 + 1800), 1e-12);  // periodic
  EXPECT_NEAR(knobs.DriftFactor(100), knobs.DriftFactor(101), 1e-4);          // slow
}

TEST(PerfKnobsTest, SlowdownsByHash) {
  PerfKnobs k(1.5, 0, 1800, 1);
  const std::string a(64, 'a'), b(64, 'b');
  EXPECT_EQ(k.SlowdownFactor(a), 1.0);
  ASSERT_TRUE(k.SetSlowdown(std::string(64, 'A'), 5).ok());  // any case
  EXPECT_DOUBLE_EQ(k.SlowdownFactor(a), 1.05);
  EXPECT_EQ(k.SlowdownFactor(b), 1.0);
  EXPECT_EQ(k.SlowdownsText(), absl::StrCat(a, ":5"));
  ASSERT_TRUE(k.SetSlowdown(a, 0).ok());  // 0 removes it
  EXPECT_FALSE(k.HasSlowdowns());
  EXPECT_EQ(k.SlowdownsText(), "none");
  EXPECT_FALSE(k.SetSlowdown("abc", 5).ok());
  EXPECT_FALSE(k.SetSlowdown(a, -95).ok());

  int index = 0;
  std::string sha;
  double pct = 0;
  ASSERT_TRUE(ParseSlowdownSpec(absl::StrCat("2=", a, ":4.5"), &index, &sha, &pct).ok());
  EXPECT_EQ(index, 2);
  EXPECT_EQ(sha, a);
  EXPECT_EQ(pct, 4.5);
  ASSERT_TRUE(ParseSlowdownSpec(absl::StrCat(b, ":-3"), &index, &sha, &pct).ok());
  EXPECT_EQ(index, -1);
  EXPECT_EQ(pct, -3);
  absl::Status bad = ParseSlowdownSpec("x=abc:5", &index, &sha, &pct);
  EXPECT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.message()), HasSubstr("--slowdown 'x=abc:5'"));
  EXPECT_FALSE(ParseSlowdownSpec(a, &index, &sha, &pct).ok());  // no percentage
}

// Runs the benchmark app once on `phone` with `graph`; returns its "Inference (avg)".
double AppRunAvg(Phone& phone, const std::string& graph) {
  phone.logs().Clear(kAllLogMask);
  RunSh(phone, absl::StrCat("am start -S -n org.tensorflow.lite.benchmark/.BenchmarkModelActivity "
                            "--es args '--graph=", graph, " --num_threads=4'"));
  EXPECT_TRUE(WaitForLog(phone, "Inference timings"));
  for (const LogEntry& e : phone.logs().Read(kAllLogMask, 0)) {
    const size_t pos = e.message.find("Inference (avg): ");
    double v = 0;
    if (pos != std::string::npos && absl::SimpleAtod(e.message.substr(pos + 17), &v)) return v;
  }
  ADD_FAILURE() << "no Inference (avg) line";
  return 0;
}

TEST(SlowdownTest, OnlyTheChosenModelOnTheChosenPhone) {
  PhoneSimOptions sim;
  sim.noise_cv_pct = 0;
  sim.drift_pct = 0;
  sim.thermal_time_scale = 1000;  // every run starts cool
  Phone a(MakeProfile(9, 0), 9, absl::Milliseconds(200), sim);
  Phone b(MakeProfile(9, 0), 9, absl::Milliseconds(200), sim);  // the same phone model
  const std::string x = MakeFakeModel(3000000, 1), y = MakeFakeModel(3000000, 2);
  for (Phone* p : {&a, &b}) {
    p->SetBackgroundLogs(false);
    const std::string apk = MakeFakeApk();
    StringIo io(apk);
    ASSERT_EQ(p->InstallStreamed({"-r"}, static_cast<int64_t>(apk.size()), io), 0);
    ASSERT_TRUE(p->fs().Write("/data/local/tmp/x.tflite", x).ok());
    ASSERT_TRUE(p->fs().Write("/data/local/tmp/y.tflite", y).ok());
  }
  const std::string sha_x = HexDigest(EVP_sha256(), x);
  ShResult set = RunSh(a, absl::StrCat("devsimctl slowdown ", sha_x, " 20"));
  ASSERT_EQ(set.status, 0) << set.err;
  EXPECT_EQ(set.out, absl::StrCat("slowdown=", sha_x, ":20\n"));
  EXPECT_THAT(RunSh(a, "devsimctl status").out, HasSubstr(absl::StrCat("slowdown=", sha_x, ":20")));

  const double ax = AppRunAvg(a, "/data/local/tmp/x.tflite");
  const double ay = AppRunAvg(a, "/data/local/tmp/y.tflite");
  const double bx = AppRunAvg(b, "/data/local/tmp/x.tflite");
  // Same size models run alike within iteration noise; x on phone a is 20 % slower.
  EXPECT_NEAR(ax / ay, 1.20, 0.04);
  EXPECT_NEAR(ax / bx, 1.20, 0.04);
  ASSERT_EQ(RunSh(a, "devsimctl slowdown clear").out, "slowdown=none\n");
  EXPECT_NEAR(AppRunAvg(a, "/data/local/tmp/x.tflite") / bx, 1.0, 0.04);
  EXPECT_EQ(RunSh(a, "devsimctl slowdown nothex 5").status, 2);
}

TEST(HotPhoneTest, RunsHeatThrottleAndSlowDown) {
  PhoneSimOptions sim;
  sim.noise_cv_pct = 0;
  sim.drift_pct = 0;
  Phone p(MakeProfile(9, 0), 9, absl::Milliseconds(200), sim);
  p.SetBackgroundLogs(false);
  const std::string apk = MakeFakeApk();
  StringIo io(apk);
  ASSERT_EQ(p.InstallStreamed({"-r"}, static_cast<int64_t>(apk.size()), io), 0);
  ASSERT_TRUE(p.fs().Write("/data/local/tmp/m.tflite", MakeFakeModel(3000000, 1)).ok());
  const double cool = AppRunAvg(p, "/data/local/tmp/m.tflite");
  ASSERT_EQ(RunSh(p, "devsimctl soc-temp 50").status, 0);
  EXPECT_THAT(RunSh(p, "devsimctl status").out, HasSubstr("thermal_status=MODERATE big_freq_pct=60"));
  const double hot = AppRunAvg(p, "/data/local/tmp/m.tflite");
  EXPECT_GT(hot / cool, 1.4);  // the big cores at 60 %
}

}  // namespace
}  // namespace benchlab::devsim
