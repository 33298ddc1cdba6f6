// The whole lab as real processes: benchlab-coordinator, two hosts each with its own adb
// server, devsim phones and a benchlab-agent, driven through the public Lab API (C++ and
// Python). Faults are real: agents and the coordinator are killed with SIGKILL.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/sha256.h"
#include "grpcpp/grpcpp.h"
#include "tests/support/fake_agent_fleet.h"
#include "tests/support/lab_cluster.h"
#include "tests/support/paths.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab {
namespace {

namespace v1 = benchlab::v1;
using testing::LabCluster;

void Deadline(grpc::ClientContext* ctx, absl::Duration d = absl::Seconds(30)) {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + d));
}

v1::ArtifactRef Upload(v1::Lab::Stub& lab, const std::string& path, v1::ArtifactKind kind) {
  auto ref = LabCluster::Upload(lab, path, kind);
  EXPECT_TRUE(ref.ok()) << ref.status();
  return ref.ok() ? *ref : v1::ArtifactRef();
}

// A small tmpfs mounted for a test's life: a disk that really fills up (ENOSPC). Needs
// root, as CI and the README's test command run; `error` says why it could not mount.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& path, const std::string& size) : path_(path) {
    if (mount("tmpfs", path.c_str(), "tmpfs", 0, ("size=" + size).c_str()) != 0) {
      error = std::strerror(errno);
    }
  }
  ~TmpfsMount() {
    if (error.empty()) umount2(path_.c_str(), MNT_DETACH);
  }
  std::string error;

 private:
  std::string path_;
};

// Writes `path` until the file system has no block left; returns the bytes written.
int64_t FillDisk(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  const std::string block(64 * 1024, 'f');
  int64_t total = 0;
  for (size_t chunk = block.size(); chunk > 0; chunk /= 2) {
    ssize_t n;
    while ((n = write(fd, block.data(), chunk)) > 0) total += n;
  }
  close(fd);
  return total;
}

class LabE2eTest : public ::testing::Test {
 protected:
  void StartLab(testing::LabClusterOptions options = {}) {
    auto lab = LabCluster::Start(options);
    ASSERT_TRUE(lab.ok()) << lab.status();
    lab_ = std::move(*lab);
    stub_ = lab_->Lab();
    model_ = Upload(*stub_, lab_->model_path(), v1::ARTIFACT_KIND_MODEL);
    apk_ = Upload(*stub_, lab_->apk_path(), v1::ARTIFACT_KIND_APK);
  }

  v1::JobSpec Spec(int repeats) {
    v1::JobSpec spec;
    spec.set_description("e2e");
    spec.set_model_sha256(model_.sha256());
    spec.set_apk_sha256(apk_.sha256());
    spec.mutable_flags()->set_num_threads(2);
    spec.mutable_selector()->set_all(true);
    spec.set_repeats(repeats);
    spec.set_timeout_s(60);
    spec.set_retries(2);
    return spec;
  }

  absl::StatusOr<v1::Job> Submit(const v1::JobSpec& spec) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::SubmitJobRequest req;
    *req.mutable_spec() = spec;
    v1::SubmitJobResponse resp;
    grpc::Status s = stub_->SubmitJob(&ctx, req, &resp);
    if (!s.ok()) {
      return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
    }
    return resp.job();
  }

  // Follows WatchJob until the job is finished; returns the last state of every run.
  // `on_run` sees each update as it lands.
  std::map<std::string, v1::Run> WatchUntilDone(
      const std::string& job_id, absl::Duration timeout,
      const std::function<void(const v1::Run&)>& on_run = nullptr) {
    std::map<std::string, v1::Run> runs;
    grpc::ClientContext ctx;
    Deadline(&ctx, timeout);
    v1::WatchJobRequest req;
    req.set_job_id(job_id);
    auto reader = stub_->WatchJob(&ctx, req);
    v1::WatchJobResponse msg;
    while (reader->Read(&msg)) {
      for (const v1::Run& r : msg.runs()) {
        runs[r.run_id()] = r;
        if (on_run) on_run(r);
      }
      if (msg.job().finished_unix_ms() != 0) {
        ctx.TryCancel();
        break;
      }
    }
    (void)reader->Finish();
    return runs;
  }

  v1::GetJobResponse GetJob(const std::string& job_id) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::GetJobRequest req;
    req.set_job_id(job_id);
    v1::GetJobResponse resp;
    EXPECT_TRUE(stub_->GetJob(&ctx, req, &resp).ok());
    return resp;
  }

  // Waits until the coordinator's view of every phone shows a battery at least `min_c`
  // (the agent reports conditions on its next poll): the gate decides on that view.
  void WaitForHotPhones(double min_c) {
    for (absl::Time end = absl::Now() + absl::Seconds(20); absl::Now() < end;) {
      grpc::ClientContext ctx;
      Deadline(&ctx);
      v1::ListDevicesResponse resp;
      ASSERT_TRUE(stub_->ListDevices(&ctx, v1::ListDevicesRequest(), &resp).ok());
      bool all_hot = resp.devices_size() > 0;
      for (const auto& d : resp.devices()) all_hot &= d.info().conditions().battery_temp_c() >= min_c;
      if (all_hot) return;
      absl::SleepFor(absl::Milliseconds(50));
    }
    FAIL() << "the coordinator never saw the phones at " << min_c << " C";
  }

  std::unique_ptr<LabCluster> lab_;
  std::unique_ptr<v1::Lab::Stub> stub_;
  v1::ArtifactRef model_;
  v1::ArtifactRef apk_;
};

TEST_F(LabE2eTest, TwoAgentsTwoPhonesThreeRepeatsGiveTwelveRunsWithMetrics) {
  StartLab();
  auto job = Submit(Spec(3));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->runs_total(), 12);
  auto runs = WatchUntilDone(job->job_id(), absl::Seconds(120));
  ASSERT_EQ(runs.size(), 12u);
  std::map<std::string, int> per_device;
  for (const auto& [id, r] : runs) {
    EXPECT_EQ(r.state(), v1::RUN_STATE_DONE) << id << " " << r.error_message();
    EXPECT_GT(r.metrics().avg_us(), 0) << id;
    EXPECT_GT(r.metrics().init_us(), 0) << id;
    EXPECT_GT(r.timings().running_unix_ms(), 0) << id;
    ++per_device[r.device_id()];
  }
  ASSERT_EQ(per_device.size(), 4u);
  for (int h = 0; h < 2; ++h) {
    for (int p = 0; p < 2; ++p) EXPECT_EQ(per_device[lab_->DeviceId(h, p)], 3);
  }

  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::GetResultsRequest req;
  req.set_job_id(job->job_id());
  req.set_include_raw_log(true);
  v1::GetResultsResponse results;
  ASSERT_TRUE(stub_->GetResults(&ctx, req, &results).ok());
  ASSERT_EQ(results.devices_size(), 4);
  for (const auto& d : results.devices()) {
    EXPECT_EQ(d.runs_done(), 3) << d.device_id();
    EXPECT_GT(d.aggregates_size(), 5) << d.device_id();
  }
  ASSERT_EQ(results.runs_size(), 12);
  EXPECT_GT(results.runs(0).raw_log_size(), 5) << "the run's raw lines reached the coordinator";
}

TEST_F(LabE2eTest, HostileFlagsAreRefusedAndNothingIsScheduled) {
  StartLab({.hosts = 1, .phones_per_host = 1});
  for (std::string value : {"$(reboot)", "`id`", "1;reboot", "'x'", "1\nreboot", "a b"}) {
    v1::JobSpec spec = Spec(1);
    auto* extra = spec.mutable_flags()->add_extra();
    extra->set_name("foo");
    extra->set_value(value);
    auto job = Submit(spec);
    EXPECT_EQ(job.status().code(), absl::StatusCode::kInvalidArgument) << value;
    EXPECT_TRUE(absl::StrContains(job.status().message(), "foo")) << job.status();
  }
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::ListJobsResponse jobs;
  ASSERT_TRUE(stub_->ListJobs(&ctx, {}, &jobs).ok());
  EXPECT_EQ(jobs.jobs_size(), 0);
}

TEST_F(LabE2eTest, StreamLogsFollowsARunLive) {
  StartLab({.hosts = 1, .phones_per_host = 1, .run_seconds = 2});
  grpc::ClientContext ctx;
  Deadline(&ctx, absl::Seconds(60));
  v1::StreamLogsRequest req;
  req.set_device_id(lab_->DeviceId(0, 0));
  req.add_tags("tflite");
  auto reader = stub_->StreamLogs(&ctx, req);
  // The subscription reaches the agent asynchronously; give it a moment before the run.
  absl::SleepFor(absl::Milliseconds(500));
  auto job = Submit(Spec(1));
  ASSERT_TRUE(job.ok()) << job.status();
  v1::LogBatch batch;
  bool saw_summary = false;
  int lines = 0;
  while (!saw_summary && reader->Read(&batch)) {
    for (const v1::LogLine& l : batch.lines()) {
      ++lines;
      EXPECT_EQ(l.tag(), "tflite");
      EXPECT_GT(l.time_unix_us(), 0);
      if (absl::StrContains(l.message(), "Inference timings in us")) saw_summary = true;
    }
  }
  ctx.TryCancel();
  EXPECT_TRUE(saw_summary) << lines << " lines seen";
  EXPECT_GT(lines, 5);
}

TEST_F(LabE2eTest, CompareTwoJobs) {
  StartLab({.hosts = 1, .phones_per_host = 2});
  auto a = Submit(Spec(3));
  ASSERT_TRUE(a.ok());
  WatchUntilDone(a->job_id(), absl::Seconds(90));
  v1::JobSpec faster = Spec(3);
  faster.mutable_flags()->set_num_threads(4);
  auto b = Submit(faster);
  ASSERT_TRUE(b.ok());
  WatchUntilDone(b->job_id(), absl::Seconds(90));
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::CompareJobsRequest req;
  req.set_baseline_job_id(a->job_id());
  req.set_candidate_job_id(b->job_id());
  v1::CompareJobsResponse resp;
  ASSERT_TRUE(stub_->CompareJobs(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.devices_size(), 2);
  for (const auto& d : resp.devices()) {
    ASSERT_GT(d.metrics_size(), 0);
    const auto& avg = d.metrics(0);
    EXPECT_EQ(avg.metric(), "inference_avg_us") << "the primary metric; avg_us duplicates it";
    EXPECT_EQ(d.metrics_size(), 1);
    EXPECT_GT(avg.baseline().median(), 0);
    EXPECT_NE(avg.change_pct(), 0) << "4 threads vs 2 changes the latency model";
    EXPECT_FALSE(avg.verdict().empty());
    EXPECT_EQ(avg.baseline().n(), 3);
  }
  // The flags differ besides the model; 4 threads also heat the phones more, which the
  // runs' recorded conditions may show (a start temperature 5 C apart): nothing else.
  ASSERT_GE(resp.warnings_size(), 1);
  EXPECT_TRUE(absl::StrContains(resp.warnings(0), "--num_threads=4")) << resp.warnings(0);
  for (int i = 1; i < resp.warnings_size(); ++i) {
    EXPECT_TRUE(absl::StrContains(resp.warnings(i), "another temperature") ||
                absl::StrContains(resp.warnings(i), "throttled differently"))
        << resp.warnings(i);
  }
}

TEST_F(LabE2eTest, AgentKilledMidRunIsRetriedAndNothingIsLostOrDoubled) {
  StartLab({.hosts = 2, .phones_per_host = 1, .run_seconds = 3});
  auto job = Submit(Spec(2));
  ASSERT_TRUE(job.ok());
  absl::Notification running_on_host0;
  std::thread killer([&] {
    if (!running_on_host0.WaitForNotificationWithTimeout(absl::Seconds(60))) return;
    absl::SleepFor(absl::Milliseconds(800));
    lab_->KillAgent(0);
    absl::SleepFor(absl::Seconds(1));
    ASSERT_TRUE(lab_->StartAgent(0).ok());
  });
  auto runs = WatchUntilDone(job->job_id(), absl::Seconds(150), [&](const v1::Run& r) {
    if (r.state() == v1::RUN_STATE_RUNNING && absl::StartsWith(r.device_id(), "host0/") &&
        !running_on_host0.HasBeenNotified()) {
      running_on_host0.Notify();
    }
  });
  killer.join();
  ASSERT_EQ(runs.size(), 4u);
  int retried = 0;
  for (const auto& [id, r] : runs) {
    EXPECT_EQ(r.state(), v1::RUN_STATE_DONE) << id << " " << r.error_message();
    retried += r.attempt() > 1;
  }
  EXPECT_GE(retried, 1) << "the run cut by the kill was tried again";
  v1::GetJobResponse final_job = GetJob(job->job_id());
  EXPECT_EQ(final_job.job().runs_done(), 4);
  EXPECT_EQ(final_job.job().runs_failed(), 0);
}

TEST_F(LabE2eTest, CoordinatorRestartedMidJobCompletesTheJob) {
  StartLab({.hosts = 2, .phones_per_host = 1, .run_seconds = 2});
  auto job = Submit(Spec(3));
  ASSERT_TRUE(job.ok());
  // Let some runs finish, then kill the coordinator with work in flight.
  const absl::Time t0 = absl::Now();
  while (GetJob(job->job_id()).job().runs_done() < 1 && absl::Now() - t0 < absl::Seconds(60)) {
    absl::SleepFor(absl::Milliseconds(200));
  }
  lab_->KillCoordinator();
  absl::SleepFor(absl::Seconds(1));
  ASSERT_TRUE(lab_->StartCoordinator().ok());
  stub_ = lab_->Lab();
  auto runs = WatchUntilDone(job->job_id(), absl::Seconds(150));
  ASSERT_EQ(runs.size(), 6u);
  for (const auto& [id, r] : runs) {
    EXPECT_EQ(r.state(), v1::RUN_STATE_DONE) << id << " " << r.error_message();
  }
}

TEST_F(LabE2eTest, RunCutByAnAgentDeathWithUnacknowledgedEventsIsRetriedAtOnce) {
  StartLab({.hosts = 1, .phones_per_host = 1, .run_seconds = 3});
  v1::JobSpec spec = Spec(1);
  spec.set_timeout_s(120);  // a lease held until the timeout would blow the time limit below
  auto job = Submit(spec);
  ASSERT_TRUE(job.ok());
  const absl::Time t0 = absl::Now();
  while (GetJob(job->job_id()).runs(0).state() != v1::RUN_STATE_RUNNING &&
         absl::Now() - t0 < absl::Seconds(30)) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  // The coordinator goes first, so the agent's next events stay unacknowledged in its
  // outbox; then the agent dies mid-run. Both come back.
  lab_->KillCoordinator();
  absl::SleepFor(absl::Milliseconds(700));
  lab_->KillAgent(0);
  ASSERT_TRUE(lab_->StartCoordinator().ok());
  ASSERT_TRUE(lab_->StartAgent(0).ok());
  stub_ = lab_->Lab();
  const absl::Time restarted = absl::Now();
  auto runs = WatchUntilDone(job->job_id(), absl::Seconds(60));
  ASSERT_EQ(runs.size(), 1u);
  const v1::Run& r = runs.begin()->second;
  EXPECT_EQ(r.state(), v1::RUN_STATE_DONE) << r.error_message();
  EXPECT_EQ(r.attempt(), 2) << "the cut attempt ended as device_lost and was retried";
  EXPECT_LT(absl::Now() - restarted, absl::Seconds(40)) << "not held until the run's timeout";
}

TEST_F(LabE2eTest, AFullDataDiskRefusesUploadsClearlyAndLosesNoRunEvent) {
  testing::TempDir disk_dir;
  TmpfsMount disk(disk_dir.path(), "16m");
  if (!disk.error.empty()) GTEST_SKIP() << "cannot mount a tmpfs (needs root): " << disk.error;
  StartLab({.hosts = 1, .phones_per_host = 2, .run_seconds = 1.5,
            .coordinator_data_dir = disk_dir.path() + "/data"});
  auto job = Submit(Spec(3));
  ASSERT_TRUE(job.ok()) << job.status();
  const absl::Time t0 = absl::Now();
  auto running = [&] {
    const v1::GetJobResponse now = GetJob(job->job_id());
    for (const v1::Run& r : now.runs()) {
      if (r.state() == v1::RUN_STATE_RUNNING) return true;
    }
    return false;
  };
  while (!running() && absl::Now() - t0 < absl::Seconds(30)) absl::SleepFor(absl::Milliseconds(50));
  const std::string filler = disk_dir.path() + "/filler";
  ASSERT_GT(FillDisk(filler), 0);

  // An upload that cannot fit is refused up front, saying why.
  const std::string big = lab_->dir() + "/big.tflite";
  ASSERT_TRUE(testing::WriteFile(big, std::string(1 << 20, 'm')));
  auto refused = LabCluster::Upload(*stub_, big, v1::ARTIFACT_KIND_MODEL);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted) << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "no space")) << refused.status();

  // Runs end on the phones meanwhile; their events cannot be stored, so they are not
  // acknowledged and the agent replays them once the disk has room again.
  absl::SleepFor(absl::Seconds(4));
  ASSERT_TRUE(lab_->coordinator().Running()) << "a full disk is no reason to exit";
  ASSERT_EQ(unlink(filler.c_str()), 0);
  const absl::Time freed = absl::Now();

  auto runs = WatchUntilDone(job->job_id(), absl::Seconds(120));
  ASSERT_EQ(runs.size(), 6u);
  for (const auto& [id, r] : runs) {
    EXPECT_EQ(r.state(), v1::RUN_STATE_DONE) << id << " " << r.error_message();
    EXPECT_TRUE(r.has_metrics() && r.metrics().has_avg_us()) << id;
    EXPECT_EQ(r.attempt(), 1) << id << ": its result was replayed, not lost and run again";
  }
  EXPECT_LT(absl::Now() - freed, absl::Seconds(45)) << "replayed at once, not after the 60 s run timeout";
  v1::GetJobResponse final_job = GetJob(job->job_id());
  EXPECT_EQ(final_job.job().runs_done(), 6);
  const std::string log = testing::ReadFile(lab_->dir() + "/coordinator.log");
  EXPECT_TRUE(absl::StrContains(log, "event=run_event_failed")) << "the disk was full when a run ended";
  EXPECT_TRUE(absl::StrContains(log, "disk is full")) << "SQLite's reason is logged";
  EXPECT_TRUE(LabCluster::Upload(*stub_, big, v1::ARTIFACT_KIND_MODEL).ok()) << "room again";
  lab_.reset();  // the coordinator lets go of the disk before it is unmounted
}

TEST_F(LabE2eTest, PhoneUnpluggedAndPluggedBackShowsInTheInventory) {
  StartLab({.hosts = 1, .phones_per_host = 2});
  auto state_of = [&](const std::string& device_id) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::ListDevicesResponse r;
    EXPECT_TRUE(stub_->ListDevices(&ctx, {}, &r).ok());
    for (const auto& d : r.devices()) {
      if (d.info().device_id() == device_id) return d.state();
    }
    return v1::DEVICE_STATE_UNSPECIFIED;
  };
  auto wait_for = [&](const std::string& device_id, v1::DeviceState want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (state_of(device_id) != want && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(100));
    }
    return state_of(device_id) == want;
  };
  const std::string phone = lab_->DeviceId(0, 1);
  ASSERT_TRUE(lab_->host(0).Control("unplug 1").ok());
  EXPECT_TRUE(wait_for(phone, v1::DEVICE_STATE_OFFLINE));
  EXPECT_EQ(state_of(lab_->DeviceId(0, 0)), v1::DEVICE_STATE_IDLE) << "the other phone stays";
  ASSERT_TRUE(lab_->host(0).Control("plug 1").ok());
  ASSERT_TRUE(lab_->host(0).Reconnect(1).ok());
  EXPECT_TRUE(wait_for(phone, v1::DEVICE_STATE_IDLE));
  // And it takes work again.
  v1::JobSpec spec = Spec(1);
  spec.mutable_selector()->set_all(false);
  spec.mutable_selector()->add_devices(phone);
  auto job = Submit(spec);
  ASSERT_TRUE(job.ok()) << job.status();
  auto runs = WatchUntilDone(job->job_id(), absl::Seconds(60));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs.begin()->second.state(), v1::RUN_STATE_DONE);
}

// Seen: a cancel freed the phone while the agent was still winding the old attempt down
// (stopping the app, or still fetching a large model), so the next run started beside it.
// Each round cancels a run (while its large model is still being fetched, or while the
// app runs), then the next job's run on the same phone must finish done with metrics.
TEST_F(LabE2eTest, CancelThenNextRunOnOnePhoneFiftyTimesEveryNextRunDone) {
  // Runs of 2 s: long enough to cancel one while its app runs.
  StartLab({.hosts = 1, .phones_per_host = 1, .run_seconds = 2});
  v1::ArtifactRef big;
  for (int round = 0; round < 50; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    v1::JobSpec cancelled_spec = Spec(1);
    cancelled_spec.set_retries(0);
    const bool while_fetching = round % 10 == 0;
    if (while_fetching) {
      // A model the agent has not cached: it is still downloading it when the cancel comes.
      const std::string path = absl::StrCat(lab_->dir(), "/big", round, ".tflite");
      testing::RunResult made = testing::Run({testing::BinPath("benchlab-devsim"), "--make-model", path, "--model-mb", "48",
                            "--seed", absl::StrCat(100 + round)});
      ASSERT_EQ(made.exit_code, 0) << made.output;
      big = Upload(*stub_, path, v1::ARTIFACT_KIND_MODEL);
      cancelled_spec.set_model_sha256(big.sha256());
    }
    auto cancelled = Submit(cancelled_spec);
    ASSERT_TRUE(cancelled.ok()) << cancelled.status();
    const v1::RunState cancel_at = while_fetching ? v1::RUN_STATE_ASSIGNED : v1::RUN_STATE_RUNNING;
    for (absl::Time end = absl::Now() + absl::Seconds(30);
         GetJob(cancelled->job_id()).runs(0).state() < cancel_at && absl::Now() < end;) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    {
      grpc::ClientContext ctx;
      Deadline(&ctx);
      v1::CancelJobRequest req;
      req.set_job_id(cancelled->job_id());
      v1::CancelJobResponse resp;
      ASSERT_TRUE(stub_->CancelJob(&ctx, req, &resp).ok());
    }
    auto next = Submit(Spec(1));
    ASSERT_TRUE(next.ok()) << next.status();
    auto runs = WatchUntilDone(next->job_id(), absl::Seconds(60));
    ASSERT_EQ(runs.size(), 1u);
    const v1::Run& r = runs.begin()->second;
    ASSERT_EQ(r.state(), v1::RUN_STATE_DONE) << v1::ErrorClass_Name(r.error_class()) << ": " << r.error_message();
    EXPECT_EQ(r.attempt(), 1) << "disturbed: " << r.error_message();
    EXPECT_GT(r.metrics().avg_us(), 0);
    EXPECT_EQ(GetJob(cancelled->job_id()).runs(0).state(), v1::RUN_STATE_CANCELLED);
  }
}

// Seen: a run that failed device_lost was retried at once on the phone the coordinator
// still believed online, so an unplug spent every retry in milliseconds.
TEST_F(LabE2eTest, PhoneUnpluggedForFiveSecondsMidRunIsRetriedAfterItReturnsAndEndsDone) {
  StartLab({.hosts = 1, .phones_per_host = 1, .run_seconds = 3});
  auto job = Submit(Spec(1));  // 2 retries
  ASSERT_TRUE(job.ok()) << job.status();
  for (absl::Time end = absl::Now() + absl::Seconds(30);
       GetJob(job->job_id()).runs(0).state() != v1::RUN_STATE_RUNNING && absl::Now() < end;) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(lab_->host(0).Control("unplug 0").ok());
  absl::SleepFor(absl::Seconds(5));  // the outage itself, not synchronisation
  const int64_t plugged_ms = absl::ToUnixMillis(absl::Now());
  ASSERT_TRUE(lab_->host(0).Control("plug 0").ok());
  ASSERT_TRUE(lab_->host(0).Reconnect(0).ok());
  auto runs = WatchUntilDone(job->job_id(), absl::Seconds(90));
  ASSERT_EQ(runs.size(), 1u);
  const v1::Run& r = runs.begin()->second;
  EXPECT_EQ(r.state(), v1::RUN_STATE_DONE) << v1::ErrorClass_Name(r.error_class()) << ": " << r.error_message();
  EXPECT_GE(r.attempt(), 2);
  EXPECT_GE(r.timings().assigned_unix_ms(), plugged_ms) << "the last attempt started before the phone was back";
  EXPECT_GT(r.metrics().avg_us(), 0);
}

// Seen: a saturated coordinator missed keepalives and dropped hundreds of healthy agents,
// whose runs then ended device_lost. Here 300 fake agents (1,200 phones answering every
// assignment at once) and callers listing the whole inventory every 20 ms keep it busy while a real
// agent runs on two devsim phones: no session may end and every run must end done.
TEST_F(LabE2eTest, BusyCoordinatorKeepsEveryHealthyAgentAndLosesNoRun) {
  StartLab({.hosts = 1, .phones_per_host = 2, .run_seconds = 1});
  testing::FakeAgentFleet fleet(lab_->address(), "busy");
  ASSERT_EQ(fleet.Connect(300, 4, absl::Seconds(120)), 300);
  ASSERT_TRUE(lab_->WaitForIdleDevices(1202, absl::Seconds(60)).ok());

  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, read_errors{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      auto stub = lab_->Lab();
      while (!stop) {
        grpc::ClientContext ctx;
        Deadline(&ctx);
        v1::ListDevicesResponse resp;
        if (stub->ListDevices(&ctx, v1::ListDevicesRequest(), &resp).ok()) {
          ++reads;
        } else {
          ++read_errors;
        }
        absl::SleepFor(absl::Milliseconds(20));  // dashboards polling, not a tight loop
      }
    });
  }
  auto job = Submit(Spec(3));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->runs_total(), 3 * 1202);
  auto runs = WatchUntilDone(job->job_id(), absl::Seconds(300));
  stop = true;
  for (auto& t : readers) t.join();

  v1::Job final_job = GetJob(job->job_id()).job();
  EXPECT_EQ(final_job.runs_done(), 3 * 1202) << "failed=" << final_job.runs_failed();
  for (int p = 0; p < 2; ++p) {
    int done = 0;
    for (const auto& [id, r] : runs) done += r.device_id() == lab_->DeviceId(0, p) && r.state() == v1::RUN_STATE_DONE;
    EXPECT_EQ(done, 3) << "real phone " << p;
  }
  EXPECT_EQ(fleet.ended(), 0) << "fake agents dropped by the coordinator";
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(read_errors.load(), 0);
  std::ifstream log(lab_->dir() + "/coordinator.log");
  for (std::string line; std::getline(log, line);) {
    EXPECT_FALSE(absl::StrContains(line, "event=agent_disconnected")) << line;
  }
}

// The run-conditions gate through the real chain: devsim's thermal model, the agent's
// conditions reports, the coordinator's scheduler. A hot phone is listed cooling (with
// why) and takes its run only once it has cooled below the limit, here the lab's default
// (coordinator --max-battery-temp) for a job that sets none.
TEST_F(LabE2eTest, HotPhoneCoolsAtTheGateAndItsRunStartsCool) {
  StartLab({.hosts = 1, .phones_per_host = 1, .run_seconds = 1,
            .coordinator_extra = {"--max-battery-temp", "38", "--gate-timeout-s", "300"},
            .agent_extra = {"--conditions-interval", "0.5"},
            .devsim_extra = {"--thermal-time-scale", "4"}});  // cools with a 10 s time constant
  ASSERT_TRUE(lab_->host(0).Control("temp 0 45").ok());
  WaitForHotPhones(40);
  v1::JobSpec spec = Spec(1);  // no gate of its own
  const int64_t submitted_ms = absl::ToUnixMillis(absl::Now());
  auto job = Submit(spec);
  ASSERT_TRUE(job.ok()) << job.status();
  std::string reason;
  for (absl::Time end = absl::Now() + absl::Seconds(20); reason.empty() && absl::Now() < end;) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::ListDevicesResponse resp;
    ASSERT_TRUE(stub_->ListDevices(&ctx, v1::ListDevicesRequest(), &resp).ok());
    for (const auto& d : resp.devices()) {
      if (d.state() == v1::DEVICE_STATE_COOLING) reason = d.cooling_reason();
    }
    if (reason.empty()) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(absl::StrContains(reason, "battery") && absl::StrContains(reason, "> 38 C")) << reason;
  auto runs = WatchUntilDone(job->job_id(), absl::Seconds(120));
  ASSERT_EQ(runs.size(), 1u);
  const v1::Run& r = runs.begin()->second;
  ASSERT_EQ(r.state(), v1::RUN_STATE_DONE) << r.error_message();
  EXPECT_TRUE(r.conditions_not_met().empty()) << r.conditions_not_met();
  ASSERT_TRUE(r.conditions().before().has_battery_temp_c());
  EXPECT_LE(r.conditions().before().battery_temp_c(), 38.5) << "started hot";
  EXPECT_GT(r.timings().assigned_unix_ms() - submitted_ms, 1000) << "the run did not wait for the phone to cool";
  EXPECT_EQ(GetJob(job->job_id()).job().spec().max_battery_temp_c(), 38) << "the lab's default, recorded in the job";
}

// Past the gate's timeout the job's policy decides: FAIL ends the run
// conditions_not_met; PROCEED starts it, marked with the requirement it failed.
TEST_F(LabE2eTest, GateTimeoutFailsOrProceedsPerPolicyOnAPhoneThatStaysHot) {
  StartLab({.hosts = 1, .phones_per_host = 1, .run_seconds = 1,
            .agent_extra = {"--conditions-interval", "0.5"}});
  ASSERT_TRUE(lab_->host(0).Control("temp 0 50").ok());  // cools for minutes at the default pace
  WaitForHotPhones(45);
  for (v1::GatePolicy policy : {v1::GATE_POLICY_FAIL, v1::GATE_POLICY_PROCEED}) {
    v1::JobSpec spec = Spec(1);
    spec.set_max_battery_temp_c(38);
    spec.set_gate_timeout_s(2);
    spec.set_gate_policy(policy);
    auto job = Submit(spec);
    ASSERT_TRUE(job.ok()) << job.status();
    auto runs = WatchUntilDone(job->job_id(), absl::Seconds(60));
    ASSERT_EQ(runs.size(), 1u);
    const v1::Run& r = runs.begin()->second;
    if (policy == v1::GATE_POLICY_FAIL) {
      EXPECT_EQ(r.state(), v1::RUN_STATE_FAILED);
      EXPECT_EQ(r.error_class(), v1::ERROR_CLASS_CONDITIONS_NOT_MET);
      EXPECT_EQ(r.attempt(), 1) << "not retried";
      EXPECT_TRUE(absl::StrContains(r.error_message(), "battery")) << r.error_message();
    } else {
      EXPECT_EQ(r.state(), v1::RUN_STATE_DONE) << r.error_message();
      EXPECT_TRUE(absl::StrContains(r.conditions_not_met(), "battery")) << r.conditions_not_met();
    }
  }
}

TEST_F(LabE2eTest, PythonClientSubmitsAndWatchesAJob) {
  StartLab({.hosts = 1, .phones_per_host = 2});
  const std::string stubs = std::string(BENCHLAB_BIN_DIR) + "/../python";
  testing::RunResult r = testing::Run(
      {"/usr/bin/python3", std::string(BENCHLAB_SOURCE_DIR) + "/tests/e2e/python/lab_client.py",
       "--coordinator", lab_->address(), "--stubs", stubs, "submit", "--model",
       lab_->model_path(), "--apk", lab_->apk_path(), "--repeat", "2", "--threads", "2"},
      {}, absl::Seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json doc = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << r.output;
  EXPECT_EQ(doc["runs_total"], 4);
  EXPECT_EQ(doc["runs_done"], 4);
  ASSERT_EQ(doc["runs"].size(), 4u);
  EXPECT_TRUE(doc["runs"][0]["metrics"].contains("avg_us")) << doc["runs"][0];
  EXPECT_GT(doc["watch_messages"].get<int>(), 1) << "updates streamed, not one final answer";
}

}  // namespace
}  // namespace benchlab
