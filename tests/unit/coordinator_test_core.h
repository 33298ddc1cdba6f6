// Core unit tests' setting: a Store in memory that keeps what is written (jobs, runs,
// event ids, raw logs, artifacts), counts run writes (each PutRun/PutRuns is one
// transaction in the real store) and fails the writes a test names; and a Core opened
// over it with a model "m" and an APK "a" recorded; or a Core over a real SQLite file.
#ifndef BENCHLAB_TESTS_UNIT_COORDINATOR_TEST_CORE_H_
#define BENCHLAB_TESTS_UNIT_COORDINATOR_TEST_CORE_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "coordinator/core.h"
#include "coordinator/store.h"
#include "tests/support/temp_dir.h"

namespace benchlab::testing {

// The values of a map, in key order.
template <typename Map>
std::vector<typename Map::mapped_type> ValuesOf(const Map& m) {
  std::vector<typename Map::mapped_type> out;
  for (const auto& [k, v] : m) out.push_back(v);
  return out;
}

// An agent session that records what the core sent it: the attempt of each run last
// assigned, and how many cancels.
class RecordingChannel : public coordinator::AgentChannel {
 public:
  void Send(const benchlab::v1::CoordinatorMessage& m) override {
    absl::MutexLock l(&mu);
    if (m.has_assign()) assigned[m.assign().run_id()] = m.assign().attempt();
    if (m.has_cancel()) ++cancels;
  }
  void Close(const std::string&) override {}  // one session per agent in these tests
  size_t assigned_count() {
    absl::MutexLock l(&mu);
    return assigned.size();
  }
  absl::Mutex mu;
  std::map<std::string, int> assigned ABSL_GUARDED_BY(mu);
  int cancels ABSL_GUARDED_BY(mu) = 0;
};

class MemoryStore : public coordinator::Store {
 public:
  // Writes that fail while set (with UNAVAILABLE, as a full or broken disk would).
  enum Write { kCreateJob, kPutJob, kPutRuns, kApplyEvent, kPutAgent, kPutDevice, kWrites };
  void Fail(Write w, bool fail) {
    absl::MutexLock l(&mu_);
    fail_[w] = fail;
  }

  absl::Status PutAgent(const benchlab::v1::Agent& a) override {
    absl::MutexLock l(&mu_);
    if (fail_[kPutAgent]) return Broken("agent");
    agents_[a.agent_id()] = a;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<benchlab::v1::Agent>> ListAgents() override {
    absl::MutexLock l(&mu_);
    return ValuesOf(agents_);
  }
  absl::Status PutDevice(const coordinator::StoredDevice& d) override {
    absl::MutexLock l(&mu_);
    if (fail_[kPutDevice]) return Broken("device");
    devices_[d.info.device_id()] = d;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<coordinator::StoredDevice>> ListDevices() override {
    absl::MutexLock l(&mu_);
    return ValuesOf(devices_);
  }
  absl::Status PutArtifact(const benchlab::v1::ArtifactRef& a) override {
    absl::MutexLock l(&mu_);
    artifacts_[a.sha256()] = a;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<benchlab::v1::ArtifactRef>> GetArtifact(const std::string& sha) override {
    absl::MutexLock l(&mu_);
    auto it = artifacts_.find(sha);
    if (it == artifacts_.end()) return std::optional<benchlab::v1::ArtifactRef>();
    return std::optional<benchlab::v1::ArtifactRef>(it->second);
  }
  absl::StatusOr<std::vector<benchlab::v1::ArtifactRef>> ListArtifacts() override {
    absl::MutexLock l(&mu_);
    std::vector<benchlab::v1::ArtifactRef> out;
    for (const auto& [sha, a] : artifacts_) out.push_back(a);
    return out;
  }
  absl::StatusOr<bool> SetArtifactPinned(const std::string& sha, bool pinned) override {
    absl::MutexLock l(&mu_);
    auto it = artifacts_.find(sha);
    if (it == artifacts_.end()) return false;
    it->second.set_pinned(pinned);
    return true;
  }
  absl::Status DeleteArtifact(const std::string& sha) override {
    absl::MutexLock l(&mu_);
    artifacts_.erase(sha);
    return absl::OkStatus();
  }
  absl::Status CreateJob(const coordinator::StoredJob& job, const std::vector<benchlab::v1::Run>& runs) override {
    absl::MutexLock l(&mu_);
    if (fail_[kCreateJob]) return Broken("job");
    jobs_[job.job.job_id()] = job;
    for (const auto& r : runs) runs_[r.run_id()] = r;
    return absl::OkStatus();
  }
  absl::Status PutJob(const benchlab::v1::Job& job) override {
    absl::MutexLock l(&mu_);
    if (fail_[kPutJob]) return Broken("job");
    jobs_[job.job_id()].job = job;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<coordinator::StoredJob>> LoadJobs() override {
    absl::MutexLock l(&mu_);
    return ValuesOf(jobs_);
  }
  absl::Status PutRun(const benchlab::v1::Run& run) override { return PutRuns({run}); }
  absl::Status PutRuns(const std::vector<benchlab::v1::Run>& runs) override {
    absl::MutexLock l(&mu_);
    if (fail_[kPutRuns]) return Broken("runs");
    ++run_writes_;
    for (const auto& r : runs) runs_[r.run_id()] = r;
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<benchlab::v1::Run>> LoadRuns() override {
    absl::MutexLock l(&mu_);
    return ValuesOf(runs_);
  }
  absl::StatusOr<bool> ApplyEvent(const std::string& agent_id, const std::string& event_id,
                                  const benchlab::v1::Run* run, const std::vector<std::string>& lines) override {
    absl::MutexLock l(&mu_);
    if (fail_[kApplyEvent]) return Broken("event");
    if (!events_.insert(absl::StrCat(agent_id, " ", event_id)).second) return false;
    if (run != nullptr) runs_[run->run_id()] = *run;
    auto& log = raw_logs_[run == nullptr ? "" : run->run_id()];
    log.insert(log.end(), lines.begin(), lines.end());
    return true;
  }
  absl::StatusOr<std::vector<std::string>> RawLog(const std::string& run_id) override {
    absl::MutexLock l(&mu_);
    auto it = raw_logs_.find(run_id);
    return it == raw_logs_.end() ? std::vector<std::string>() : it->second;
  }
  absl::StatusOr<int64_t> PruneRunLogs(const std::vector<std::string>& run_ids) override {
    absl::MutexLock l(&mu_);
    int64_t lines = 0;
    for (const auto& id : run_ids) {
      if (auto it = raw_logs_.find(id); it != raw_logs_.end()) {
        lines += it->second.size();
        raw_logs_.erase(it);
      }
    }
    return lines;
  }

  // PutRun/PutRuns calls that succeeded.
  int run_writes() {
    absl::MutexLock l(&mu_);
    return run_writes_;
  }
  // The stored run (a default Run when none).
  benchlab::v1::Run StoredRun(const std::string& run_id) {
    absl::MutexLock l(&mu_);
    auto it = runs_.find(run_id);
    return it == runs_.end() ? benchlab::v1::Run() : it->second;
  }
  size_t job_count() {
    absl::MutexLock l(&mu_);
    return jobs_.size();
  }

 private:
  static absl::Status Broken(const std::string& what) {
    return absl::UnavailableError(absl::StrCat("test store: writing the ", what, " failed"));
  }

  absl::Mutex mu_;
  bool fail_[kWrites] ABSL_GUARDED_BY(mu_) = {};
  std::map<std::string, benchlab::v1::Agent> agents_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, coordinator::StoredDevice> devices_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, benchlab::v1::ArtifactRef> artifacts_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, coordinator::StoredJob> jobs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, benchlab::v1::Run> runs_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> events_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::string>> raw_logs_ ABSL_GUARDED_BY(mu_);
  int run_writes_ ABSL_GUARDED_BY(mu_) = 0;
};

// A Core over `store` (artifact files under `dir`) with a model "m" and an APK "a" recorded.
struct TestCore {
  std::unique_ptr<coordinator::ArtifactStore> artifacts;
  std::unique_ptr<coordinator::Core> core;
};
inline absl::StatusOr<TestCore> OpenTestCore(coordinator::Store* store, coordinator::Clock* clock,
                                             const std::string& dir) {
  TestCore t;
  t.artifacts = std::make_unique<coordinator::ArtifactStore>(dir + "/artifacts", 1 << 20);
  if (auto st = t.artifacts->Init(); !st.ok()) return st;
  auto core = coordinator::Core::Open(store, t.artifacts.get(), clock);
  if (!core.ok()) return core.status();
  t.core = std::move(*core);
  for (auto [sha, kind] : {std::pair{"m", benchlab::v1::ARTIFACT_KIND_MODEL}, std::pair{"a", benchlab::v1::ARTIFACT_KIND_APK}}) {
    benchlab::v1::ArtifactRef ref;
    ref.set_sha256(sha);
    ref.set_kind(kind);
    if (auto st = t.core->RecordArtifact(ref, false); !st.ok()) return st.status();
  }
  return t;
}

// The retention tests' lab: a test core (OpenTestCore) on a fake clock, agent "h" with
// one phone "S0" online.
struct OnePhoneLab {
  absl::Status Open() {
    auto t = OpenTestCore(&store, &clock, dir.path());
    if (!t.ok()) return t.status();
    artifacts = std::move(t->artifacts);
    core = std::move(t->core);
    benchlab::v1::AgentHello h;
    auto* d = h.add_devices();
    d->set_serial("S0");
    d->set_adb_state("device");
    return core->AgentHello("h", h, channel).status();
  }
  TempDir dir;
  coordinator::FakeClock clock;
  MemoryStore store;
  std::unique_ptr<coordinator::ArtifactStore> artifacts;
  std::unique_ptr<coordinator::Core> core;
  std::shared_ptr<RecordingChannel> channel = std::make_shared<RecordingChannel>();
};

// A test over a real SQLite file under a temp dir: Open() (again = a restart, everything
// read back from the file) gives core_ over store_, with "m" and "a" recorded.
class SqliteCoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  void Open() {
    core_.reset();
    artifacts_.reset();
    store_.reset();
    auto store = coordinator::OpenSqliteStore(dir_.path() + "/benchlab.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto t = OpenTestCore(store_.get(), &clock_, dir_.path());
    ASSERT_TRUE(t.ok()) << t.status();
    artifacts_ = std::move(t->artifacts);
    core_ = std::move(t->core);
  }

  TempDir dir_;
  coordinator::FakeClock clock_;
  std::unique_ptr<coordinator::Store> store_;
  std::unique_ptr<coordinator::ArtifactStore> artifacts_;
  std::unique_ptr<coordinator::Core> core_;
};

}  // namespace benchlab::testing

#endif  // BENCHLAB_TESTS_UNIT_COORDINATOR_TEST_CORE_H_
