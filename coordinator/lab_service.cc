// LabService: unary calls answer from Core; UploadArtifact, WatchJob and StreamLogs are
// reactors. Reactors run on gRPC's callback threads; Core and LogHub reach them through
// a small shared "bridge" that is cut in OnDone, so a late notification never touches a
// deleted reactor.
#include "coordinator/lab_service.h"

#include <deque>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/version.h"
#include "coordinator/input_limits.h"
#include "coordinator/lab_calls.h"
#include "grpcpp/alarm.h"
#include "spdlog/spdlog.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

namespace {

// Who may call: the tokens, and the audit log that records every refusal.
struct Gate {
  const TokenAuth* auth;
  AuditLog* audit;
  LabStreams* streams;
  absl::StatusOr<Caller> Admit(const grpc::ServerContextBase& ctx, absl::string_view method, Role need) const {
    return audit->Admit(*auth, ctx, method, need);
  }
};

// Finishes a unary call with `fill`'s status after the role check.
template <typename Fill>
grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx, Gate gate, absl::string_view method, Role need,
                                Fill fill) {
  auto* r = ctx->DefaultReactor();
  auto caller = gate.Admit(*ctx, method, need);
  if (!caller.ok()) {
    r->Finish(ToGrpc(caller.status()));
    return r;
  }
  r->Finish(ToGrpc(fill(*caller)));
  return r;
}

// ---- UploadArtifact ----
class UploadReactor : public grpc::ServerReadReactor<v1::UploadArtifactRequest> {
 public:
  UploadReactor(grpc::CallbackServerContext* ctx, Core* core, Gate gate, v1::UploadArtifactResponse* resp)
      : core_(core), resp_(resp) {
    auto caller = gate.Admit(*ctx, "/benchlab.v1.Lab/UploadArtifact", Role::kSubmit);
    if (!caller.ok()) {
      Finish(ToGrpc(caller.status()));
      return;
    }
    StartRead(&req_);
  }
  void OnReadDone(bool ok) override {
    if (!ok) {  // client finished sending
      if (writer_ == nullptr) return Finish(grpc::Status(grpc::INVALID_ARGUMENT, "no header received"));
      auto dedup = writer_->Commit();
      if (!dedup.ok()) return Finish(ToGrpc(dedup.status()));
      auto resp = core_->RecordArtifact(ref_, *dedup);
      if (!resp.ok()) return Finish(ToGrpc(resp.status()));
      *resp_ = *resp;
      spdlog::info("event=artifact_uploaded sha256={} size_bytes={} dedup={}", ref_.sha256(), ref_.size_bytes(),
                   resp_->deduplicated());
      return Finish(grpc::Status::OK);
    }
    if (req_.has_header()) {
      if (writer_ != nullptr) return Finish(grpc::Status(grpc::INVALID_ARGUMENT, "second header"));
      const auto& h = req_.header();
      if (h.kind() == v1::ARTIFACT_KIND_UNSPECIFIED) {
        return Finish(grpc::Status(grpc::INVALID_ARGUMENT, "header.kind must be MODEL or APK"));
      }
      if (auto st = CheckTextSize("header.name", h.name(), kMaxLabelBytes); !st.ok()) return Finish(ToGrpc(st));
      auto w = core_->artifacts()->NewWriter(h.sha256(), h.size_bytes());
      if (!w.ok()) return Finish(ToGrpc(w.status()));
      writer_ = std::move(*w);
      ref_.set_sha256(h.sha256());
      ref_.set_size_bytes(h.size_bytes());
      ref_.set_kind(h.kind());
      ref_.set_name(h.name());
    } else {
      if (writer_ == nullptr) return Finish(grpc::Status(grpc::INVALID_ARGUMENT, "first message must be the header"));
      if (auto st = writer_->Append(req_.chunk()); !st.ok()) return Finish(ToGrpc(st));
    }
    StartRead(&req_);
  }
  void OnDone() override { delete this; }

 private:
  Core* core_;
  v1::UploadArtifactResponse* resp_;
  v1::UploadArtifactRequest req_;
  v1::ArtifactRef ref_;
  std::unique_ptr<ArtifactStore::Writer> writer_;
};

// ---- Server streams: one write in flight, the next message built when it is done ----

// The part WatchJob and StreamLogs share: at most one StartWrite at a time; when it
// completes (or new data is signalled) the subclass fills the next message from its own
// queue; cancellation and errors end the call exactly once. Subclasses guard their queues
// with mu_ and implement FillLocked / ExhaustedLocked.
template <typename Message>
class QueuedWriteReactor : public grpc::ServerWriteReactor<Message> {
 public:
  void OnWriteDone(bool ok) override {
    absl::MutexLock l(&mu_);
    in_flight_ = false;
    if (!ok) return FinishLocked(grpc::Status(grpc::CANCELLED, "reader gone"));
    MaybeWriteLocked();
  }
  // The coordinator is stopping: UNAVAILABLE now, or once the write in flight is done.
  void EndForShutdown() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    shutting_down_ = true;
    if (!in_flight_) FinishLocked(ShuttingDown());
  }
  static grpc::Status ShuttingDown() { return grpc::Status(grpc::UNAVAILABLE, "shutting down"); }
  void OnCancel() override {
    absl::MutexLock l(&mu_);
    cancelled_ = true;
    if (!in_flight_) FinishLocked(grpc::Status(grpc::CANCELLED, "cancelled"));
  }

 protected:
  // The next message to write into *out; false when there is nothing to send now.
  virtual bool FillLocked(Message* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) = 0;
  // True when nothing will ever come again (the call then ends OK).
  virtual bool ExhaustedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return false; }

  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (in_flight_ || finish_called_) return;
    if (cancelled_) return FinishLocked(grpc::Status(grpc::CANCELLED, "cancelled"));
    if (shutting_down_) return FinishLocked(ShuttingDown());
    if (FillLocked(&out_)) {
      WriteLocked();
      return;
    }
    if (ExhaustedLocked()) FinishLocked(grpc::Status::OK);
  }
  // Marks a write as in flight without starting one, so updates only queue (until
  // WriteLocked sends the first message).
  void HoldWritesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { in_flight_ = true; }
  // Writes out_ as it is (a first snapshot, for instance).
  void WriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    in_flight_ = true;
    this->StartWrite(&out_);
  }
  void FinishLocked(grpc::Status st) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finish_called_) return;
    finish_called_ = true;
    this->Finish(st);
  }
  // For a constructor that refuses the call: OnCancel may come at any time after the
  // reactor is returned, and Finish must happen once.
  void FinishNow(grpc::Status st) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock l(&mu_);
    FinishLocked(std::move(st));
  }

  absl::Mutex mu_;
  Message out_ ABSL_GUARDED_BY(mu_);

 private:
  bool in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_called_ ABSL_GUARDED_BY(mu_) = false;
};

// ---- WatchJob ----
class WatchReactor;
struct WatchBridge : JobWatcher, LabStream {
  absl::Mutex mu;
  WatchReactor* reactor ABSL_GUARDED_BY(mu) = nullptr;
  void RunChanged(const v1::Job& job, const v1::Run& run) override;
  void JobFinished(const v1::Job& job) override;
  void EndForShutdown() override;
};

class WatchReactor : public QueuedWriteReactor<v1::WatchJobResponse> {
 public:
  WatchReactor(grpc::CallbackServerContext* ctx, Core* core, Gate gate, const std::string& job_id)
      : core_(core), job_id_(job_id), bridge_(std::make_shared<WatchBridge>()) {
    auto caller = gate.Admit(*ctx, "/benchlab.v1.Lab/WatchJob", Role::kRead);
    if (!caller.ok()) {
      FinishNow(ToGrpc(caller.status()));
      return;
    }
    {
      absl::MutexLock l(&bridge_->mu);
      bridge_->reactor = this;
    }
    if (!gate.streams->Add(bridge_)) {
      FinishNow(ShuttingDown());
      return;
    }
    {
      // Changes that land before the snapshot is written wait in pending_. Core is
      // called without mu_ held: it notifies watchers under its own lock.
      absl::MutexLock l(&mu_);
      HoldWritesLocked();
    }
    auto snap = core_->Watch(job_id, bridge_);
    absl::MutexLock l(&mu_);
    if (!snap.ok()) {
      FinishLocked(ToGrpc(snap.status()));
      return;
    }
    // JobFinished may have been pushed between Watch and this lock (the job finished
    // just then): keep it, or the stream would wait for an end that already came.
    finished_job_ = finished_job_ || snap->job().finished_unix_ms() != 0;
    snapshot_ = SplitSnapshot(std::move(*snap));
    out_ = std::move(snapshot_.front());
    snapshot_.pop_front();
    WriteLocked();
  }
  void Push(const v1::Job& job, const v1::Run& run, bool finished) {
    absl::MutexLock l(&mu_);
    job_ = job;  // without device_ids: the first message had them
    job_dirty_ = true;
    if (!run.run_id().empty()) pending_[run.run_id()] = run;
    if (finished) finished_job_ = true;
    MaybeWriteLocked();
  }
  void OnDone() override {
    {
      absl::MutexLock l(&bridge_->mu);
      bridge_->reactor = nullptr;
    }
    core_->Unwatch(job_id_, bridge_.get());
    delete this;
  }

 private:
  // The snapshot in messages of at most kListPageBytes each (at least one run each):
  // a job of many runs must not exceed a reader's message limit. The first carries the
  // job as Watch gave it (with device_ids), the others its counters.
  static std::deque<v1::WatchJobResponse> SplitSnapshot(v1::WatchJobResponse snap) {
    std::deque<v1::WatchJobResponse> out;
    v1::Job summary = snap.job();
    summary.clear_device_ids();
    out.emplace_back();
    *out.back().mutable_job() = std::move(*snap.mutable_job());
    // Each run costs its size plus its field's tag and length (at most 6 bytes here).
    size_t bytes = out.back().job().ByteSizeLong() + 16;
    for (auto& run : *snap.mutable_runs()) {
      size_t size = run.ByteSizeLong() + 6;
      if (out.back().runs_size() > 0 && bytes + size > kListPageBytes) {
        out.back().set_snapshot_continues(true);
        out.emplace_back();
        *out.back().mutable_job() = summary;
        bytes = summary.ByteSizeLong() + 16;
      }
      bytes += size;
      *out.back().add_runs() = std::move(run);
    }
    return out;
  }

  bool FillLocked(v1::WatchJobResponse* out) override ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!snapshot_.empty()) {  // the rest of the snapshot goes before any change
      *out = std::move(snapshot_.front());
      snapshot_.pop_front();
      return true;
    }
    if (pending_.empty() && !job_dirty_) return false;
    job_dirty_ = false;
    out->Clear();
    *out->mutable_job() = job_;
    for (auto& [id, run] : pending_) *out->add_runs() = std::move(run);
    pending_.clear();
    return true;
  }
  bool ExhaustedLocked() override ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return finished_job_; }

  Core* core_;
  std::string job_id_;
  std::shared_ptr<WatchBridge> bridge_;
  v1::Job job_ ABSL_GUARDED_BY(mu_);
  // The snapshot's messages not yet written.
  std::deque<v1::WatchJobResponse> snapshot_ ABSL_GUARDED_BY(mu_);
  // Coalesced by run id: the number of pending runs is bounded by the job's size.
  std::map<std::string, v1::Run> pending_ ABSL_GUARDED_BY(mu_);
  bool finished_job_ ABSL_GUARDED_BY(mu_) = false;
  bool job_dirty_ ABSL_GUARDED_BY(mu_) = false;  // job_ not yet sent
};

void WatchBridge::RunChanged(const v1::Job& job, const v1::Run& run) {
  absl::MutexLock l(&mu);
  if (reactor) reactor->Push(job, run, false);
}
void WatchBridge::JobFinished(const v1::Job& job) {
  absl::MutexLock l(&mu);
  if (reactor) reactor->Push(job, v1::Run(), true);
}
void WatchBridge::EndForShutdown() {
  absl::MutexLock l(&mu);
  if (reactor) reactor->EndForShutdown();
}

// ---- StreamLogs ----
class LogsReactor;
struct LogsBridge : LabStream {
  absl::Mutex mu;
  LogsReactor* reactor ABSL_GUARDED_BY(mu) = nullptr;
  void Notify();
  void TailCheck(bool ok);
  void EndForShutdown() override;
};

class LogsReactor : public QueuedWriteReactor<v1::LogBatch> {
 public:
  // Lines per message to a subscriber: per-message cost dominates at high line rates.
  // The byte bound keeps a message of long lines well under a client's default 4 MB limit.
  static constexpr size_t kBatchLines = 1024;
  static constexpr size_t kBatchBytes = 1 << 20;

  LogsReactor(grpc::CallbackServerContext* ctx, Core* core, Gate gate, const v1::StreamLogsRequest& req)
      : bridge_(std::make_shared<LogsBridge>()) {
    auto caller = gate.Admit(*ctx, "/benchlab.v1.Lab/StreamLogs", Role::kRead);
    if (!caller.ok()) {
      FinishNow(ToGrpc(caller.status()));
      return;
    }
    if (auto st = core->CheckDevice(req.device_id()); !st.ok()) {
      FinishNow(ToGrpc(st));
      return;
    }
    auto filter = LogFilterFor(req);
    if (!filter.ok()) {
      FinishNow(ToGrpc(filter.status()));
      return;
    }
    {
      absl::MutexLock l(&bridge_->mu);
      bridge_->reactor = this;
    }
    if (!gate.streams->Add(bridge_)) {
      FinishNow(ShuttingDown());
      return;
    }
    std::weak_ptr<LogsBridge> weak = bridge_;
    auto sub = core->log_hub()->Subscribe(req.device_id(), std::max(0, req.tail_lines()), *filter, [weak] {
      if (auto b = weak.lock()) b->Notify();
    });
    if (sub == nullptr) {
      FinishNow(grpc::Status(grpc::RESOURCE_EXHAUSTED, "too many log subscribers; try again later"));
      return;
    }
    absl::MutexLock l(&mu_);
    sub_ = std::move(sub);
    backlog_only_ = req.backlog_only();
    tail_lines_ = static_cast<size_t>(std::max(0, req.tail_lines()));
    if (sub_->awaits_phone_tail()) {
      // Nothing buffered: the agent sends the phone's newest lines. Hold them until they
      // stop coming, then send the newest tail_lines of them (and follow, or end).
      collecting_tail_ = true;
      tail_wait_started_ = absl::Now();
      ArmTailCheckLocked();
      return;
    }
    MaybeWriteLocked();
  }
  // Every kTailQuiet while collecting. The phone's tail comes as one burst, then live
  // lines trickle on: done once lines came and the last period brought none or under a
  // quarter of the one before; at the latest after kTailMaxWait (phone offline, empty log).
  void TailCheck(bool ok) {
    absl::MutexLock l(&mu_);
    if (!collecting_tail_ || sub_ == nullptr) return;
    const uint64_t offered = sub_->lines_offered();
    const uint64_t delta = offered - tail_offered_;
    const bool settled = offered > 0 && (delta == 0 || delta * 4 < tail_last_delta_);
    if (ok && !settled && absl::Now() - tail_wait_started_ < kTailMaxWait) {
      tail_offered_ = offered;
      tail_last_delta_ = delta;
      ArmTailCheckLocked();
      return;
    }
    collecting_tail_ = false;
    sub_->KeepNewest(tail_lines_);
    MaybeWriteLocked();
  }
  void MaybeWrite() {
    absl::MutexLock l(&mu_);
    MaybeWriteLocked();
  }
  void OnDone() override {
    {
      absl::MutexLock l(&bridge_->mu);
      bridge_->reactor = nullptr;
    }
    std::unique_ptr<LogSubscription> sub;
    {
      absl::MutexLock l(&mu_);
      sub = std::move(sub_);
    }
    sub.reset();  // unsubscribes outside our lock
    delete this;
  }

 private:
  static constexpr absl::Duration kTailQuiet = absl::Milliseconds(250);
  static constexpr absl::Duration kTailMaxWait = absl::Seconds(3);

  void ArmTailCheckLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    // Through the bridge: the alarm may fire (ok=false) after this reactor is gone.
    std::weak_ptr<LogsBridge> weak = bridge_;
    tail_alarm_.Set(absl::ToChronoTime(absl::Now() + kTailQuiet), [weak](bool ok) {
      if (auto b = weak.lock()) b->TailCheck(ok);
    });
  }
  bool FillLocked(v1::LogBatch* out) override ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !collecting_tail_ && sub_ != nullptr && sub_->Drain(kBatchLines, kBatchBytes, out);
  }
  // The backlog is queued at Subscribe (or collected from the phone before anything is
  // sent), so the first empty queue after that means it was all sent.
  bool ExhaustedLocked() override ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return backlog_only_ && !collecting_tail_ && sub_ != nullptr;
  }

  std::shared_ptr<LogsBridge> bridge_;
  std::unique_ptr<LogSubscription> sub_ ABSL_GUARDED_BY(mu_);
  bool backlog_only_ ABSL_GUARDED_BY(mu_) = false;
  size_t tail_lines_ ABSL_GUARDED_BY(mu_) = 0;
  bool collecting_tail_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time tail_wait_started_ ABSL_GUARDED_BY(mu_);
  uint64_t tail_offered_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t tail_last_delta_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::Alarm tail_alarm_;
};

void LogsBridge::Notify() {
  absl::MutexLock l(&mu);
  if (reactor) reactor->MaybeWrite();
}
void LogsBridge::TailCheck(bool ok) {
  absl::MutexLock l(&mu);
  if (reactor) reactor->TailCheck(ok);
}
void LogsBridge::EndForShutdown() {
  absl::MutexLock l(&mu);
  if (reactor) reactor->EndForShutdown();
}

}  // namespace

bool LabStreams::Add(std::weak_ptr<LabStream> stream) {
  absl::MutexLock l(&mu_);
  if (ended_) return false;
  // Ended calls' entries go as new ones come: the list stays about as long as the open calls.
  streams_.erase(std::remove_if(streams_.begin(), streams_.end(), [](const auto& w) { return w.expired(); }),
                 streams_.end());
  streams_.push_back(std::move(stream));
  return true;
}

void LabStreams::EndAll() {
  std::vector<std::weak_ptr<LabStream>> streams;
  {
    absl::MutexLock l(&mu_);
    ended_ = true;
    streams.swap(streams_);
  }
  for (auto& w : streams) {
    if (auto s = w.lock()) s->EndForShutdown();
  }
}

// Moves a call's value into the response message, or returns its error.
template <typename T>
absl::Status MoveInto(absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return result.status();
  *out = std::move(*result);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* LabService::GetArtifact(grpc::CallbackServerContext* ctx,
                                                  const v1::GetArtifactRequest* req,
                                                  v1::GetArtifactResponse* resp) {
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, "/benchlab.v1.Lab/GetArtifact", Role::kRead, [&](const Caller&) {
    return MoveInto(core_->GetArtifact(req->sha256()), resp->mutable_artifact());
  });
}

grpc::ServerUnaryReactor* LabService::ListAgents(grpc::CallbackServerContext* ctx, const v1::ListAgentsRequest*,
                                                 v1::ListAgentsResponse* resp) {
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, "/benchlab.v1.Lab/ListAgents", Role::kRead, [&](const Caller&) {
    for (auto& a : core_->ListAgents()) *resp->add_agents() = std::move(a);
    resp->set_coordinator_version(kVersion);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LabService::ListDevices(grpc::CallbackServerContext* ctx, const v1::ListDevicesRequest* req,
                                                  v1::ListDevicesResponse* resp) {
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, "/benchlab.v1.Lab/ListDevices", Role::kRead, [&](const Caller&) {
    for (auto& d : core_->ListDevices(*req)) *resp->add_devices() = std::move(d);
    return absl::OkStatus();
  });
}

grpc::ServerReadReactor<v1::UploadArtifactRequest>* LabService::UploadArtifact(grpc::CallbackServerContext* ctx,
                                                                               v1::UploadArtifactResponse* resp) {
  return new UploadReactor(ctx, core_, Gate{auth_, &audit_, &streams_}, resp);
}

grpc::ServerUnaryReactor* LabService::SubmitJob(grpc::CallbackServerContext* ctx, const v1::SubmitJobRequest* req,
                                                v1::SubmitJobResponse* resp) {
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, "/benchlab.v1.Lab/SubmitJob", Role::kSubmit, [&](const Caller& caller) -> absl::Status {
    if (auto st = CheckSubmitJob(*req); !st.ok()) return st;
    auto job = core_->SubmitJob(*req, caller.name, resp->mutable_offline_device_ids());
    if (!job.ok()) return job.status();
    *resp->mutable_job() = std::move(*job);
    audit_.Record(*ctx, "/benchlab.v1.Lab/SubmitJob", "submit", caller.name, resp->job().job_id());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LabService::GetJob(grpc::CallbackServerContext* ctx, const v1::GetJobRequest* req,
                                             v1::GetJobResponse* resp) {
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, "/benchlab.v1.Lab/GetJob", Role::kRead, [&](const Caller&) { return MoveInto(core_->GetJob(req->job_id()), resp); });
}

grpc::ServerUnaryReactor* LabService::ListJobs(grpc::CallbackServerContext* ctx, const v1::ListJobsRequest* req,
                                               v1::ListJobsResponse* resp) {
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, "/benchlab.v1.Lab/ListJobs", Role::kRead,
               [&](const Caller&) { return MoveInto(ListJobsPage(core_, *req), resp); });
}

grpc::ServerWriteReactor<v1::WatchJobResponse>* LabService::WatchJob(grpc::CallbackServerContext* ctx,
                                                                     const v1::WatchJobRequest* req) {
  return new WatchReactor(ctx, core_, Gate{auth_, &audit_, &streams_}, req->job_id());
}

grpc::ServerUnaryReactor* LabService::CancelJob(grpc::CallbackServerContext* ctx, const v1::CancelJobRequest* req,
                                                v1::CancelJobResponse* resp) {
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, "/benchlab.v1.Lab/CancelJob", Role::kSubmit, [&](const Caller& caller) -> absl::Status {
    if (auto st = MoveInto(core_->CancelJob(req->job_id()), resp->mutable_job()); !st.ok()) return st;
    audit_.Record(*ctx, "/benchlab.v1.Lab/CancelJob", "cancel", caller.name, req->job_id());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LabService::GetResults(grpc::CallbackServerContext* ctx, const v1::GetResultsRequest* req,
                                                 v1::GetResultsResponse* resp) {
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, "/benchlab.v1.Lab/GetResults", Role::kRead, [&](const Caller&) { return MoveInto(core_->GetResults(*req), resp); });
}

grpc::ServerUnaryReactor* LabService::CompareJobs(grpc::CallbackServerContext* ctx, const v1::CompareJobsRequest* req,
                                                  v1::CompareJobsResponse* resp) {
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, "/benchlab.v1.Lab/CompareJobs", Role::kRead, [&](const Caller&) { return MoveInto(core_->CompareJobs(*req), resp); });
}

grpc::ServerWriteReactor<v1::LogBatch>* LabService::StreamLogs(grpc::CallbackServerContext* ctx,
                                                               const v1::StreamLogsRequest* req) {
  return new LogsReactor(ctx, core_, Gate{auth_, &audit_, &streams_}, *req);
}

// ---- History: GetHistory, ListRegressions ----

grpc::ServerUnaryReactor* LabService::GetHistory(grpc::CallbackServerContext* ctx, const v1::GetHistoryRequest* req,
                                                 v1::GetHistoryResponse* resp) {
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, "/benchlab.v1.Lab/GetHistory", Role::kRead, [&](const Caller&) -> absl::Status {
    auto devices = HistoryDevices(core_, req->devices());
    if (!devices.ok()) return devices.status();
    return MoveInto(history_.GetHistory(*req, *devices), resp);
  });
}

grpc::ServerUnaryReactor* LabService::ListRegressions(grpc::CallbackServerContext* ctx,
                                                      const v1::ListRegressionsRequest* req,
                                                      v1::ListRegressionsResponse* resp) {
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, "/benchlab.v1.Lab/ListRegressions", Role::kRead, [&](const Caller&) -> absl::Status {
    auto devices = HistoryDevices(core_, req->devices());
    if (!devices.ok()) return devices.status();
    return MoveInto(history_.ListRegressions(*req, *devices, absl::ToUnixMillis(absl::Now())), resp);
  });
}

// ---- Device care and the audit log ----

// A device care change, recorded in the audit log once it is made.
static absl::Status CareChange(Core* core, AuditLog* audit, const grpc::CallbackServerContext& ctx,
                               absl::string_view method, absl::string_view action, const Caller& caller,
                               const std::string& device_id, v1::DeviceState state, const std::string& note,
                               v1::DeviceCareResponse* resp) {
  if (auto st = CheckTextSize("device_id", device_id, kMaxDeviceIdBytes); !st.ok()) return st;
  if (auto st = MoveInto(core->SetDeviceCare(device_id, state, note, caller.name), resp->mutable_device()); !st.ok()) {
    return st;
  }
  audit->Record(ctx, method, action, caller.name, device_id, note);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* LabService::DrainDevice(grpc::CallbackServerContext* ctx, const v1::DrainDeviceRequest* req,
                                                  v1::DeviceCareResponse* resp) {
  constexpr absl::string_view kMethod = "/benchlab.v1.Lab/DrainDevice";
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, kMethod, Role::kAdmin, [&](const Caller& caller) {
    return CareChange(core_, &audit_, *ctx, kMethod, "drain", caller, req->device_id(), v1::DEVICE_STATE_DRAINED, "",
                      resp);
  });
}

grpc::ServerUnaryReactor* LabService::UndrainDevice(grpc::CallbackServerContext* ctx,
                                                    const v1::UndrainDeviceRequest* req, v1::DeviceCareResponse* resp) {
  constexpr absl::string_view kMethod = "/benchlab.v1.Lab/UndrainDevice";
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, kMethod, Role::kAdmin, [&](const Caller& caller) {
    return CareChange(core_, &audit_, *ctx, kMethod, "undrain", caller, req->device_id(),
                      v1::DEVICE_STATE_UNSPECIFIED, "", resp);
  });
}

grpc::ServerUnaryReactor* LabService::SetDeviceMaintenance(grpc::CallbackServerContext* ctx,
                                                           const v1::SetDeviceMaintenanceRequest* req,
                                                           v1::DeviceCareResponse* resp) {
  constexpr absl::string_view kMethod = "/benchlab.v1.Lab/SetDeviceMaintenance";
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, kMethod, Role::kAdmin, [&](const Caller& caller) -> absl::Status {
    if (req->clear()) {
      return CareChange(core_, &audit_, *ctx, kMethod, "maintenance_clear", caller, req->device_id(),
                        v1::DEVICE_STATE_UNSPECIFIED, "", resp);
    }
    if (req->note().empty()) return absl::InvalidArgumentError("note: say why the phone is out (or set clear)");
    if (auto st = CheckTextSize("note", req->note(), kMaxMaintenanceNoteBytes); !st.ok()) return st;
    return CareChange(core_, &audit_, *ctx, kMethod, "maintenance", caller, req->device_id(),
                      v1::DEVICE_STATE_MAINTENANCE, req->note(), resp);
  });
}

grpc::ServerUnaryReactor* LabService::ForgetDevice(grpc::CallbackServerContext* ctx, const v1::ForgetDeviceRequest* req,
                                                   v1::ForgetDeviceResponse* resp) {
  constexpr absl::string_view kMethod = "/benchlab.v1.Lab/ForgetDevice";
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, kMethod, Role::kAdmin, [&](const Caller& caller) -> absl::Status {
    if (auto st = CheckTextSize("device_id", req->device_id(), kMaxDeviceIdBytes); !st.ok()) return st;
    auto failed = core_->ForgetDevice(req->device_id(), caller.name);
    if (!failed.ok()) return failed.status();
    for (auto& id : *failed) resp->add_failed_run_ids(std::move(id));
    audit_.Record(*ctx, kMethod, "forget", caller.name, req->device_id(),
                  failed->empty() ? "" : absl::StrCat(failed->size(), " queued runs failed"));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* LabService::ListAudit(grpc::CallbackServerContext* ctx, const v1::ListAuditRequest* req,
                                                v1::ListAuditResponse* resp) {
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, "/benchlab.v1.Lab/ListAudit", Role::kAdmin,
               [&](const Caller&) { return MoveInto(audit_.List(*req), resp); });
}

// ---- Artifact retention ----

grpc::ServerUnaryReactor* LabService::ListArtifacts(grpc::CallbackServerContext* ctx,
                                                    const v1::ListArtifactsRequest* req,
                                                    v1::ListArtifactsResponse* resp) {
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, "/benchlab.v1.Lab/ListArtifacts", Role::kRead,
               [&](const Caller&) -> absl::Status {
                 auto all = core_->ListArtifacts();
                 if (!all.ok()) return all.status();
                 for (auto& a : *all) *resp->add_artifacts() = std::move(a);
                 resp->set_retention_days(absl::ToDoubleHours(core_->artifact_retention()) / 24);
                 return absl::OkStatus();
               });
}

grpc::ServerUnaryReactor* LabService::PinArtifact(grpc::CallbackServerContext* ctx, const v1::PinArtifactRequest* req,
                                                  v1::PinArtifactResponse* resp) {
  constexpr absl::string_view kMethod = "/benchlab.v1.Lab/PinArtifact";
  return Unary(ctx, Gate{auth_, &audit_, &streams_}, kMethod, Role::kAdmin, [&](const Caller& caller) -> absl::Status {
    if (auto st = CheckTextSize("sha256", req->sha256(), 64); !st.ok()) return st;
    if (auto st = MoveInto(core_->PinArtifact(req->sha256(), req->pinned(), caller.name), resp->mutable_artifact());
        !st.ok()) {
      return st;
    }
    audit_.Record(*ctx, kMethod, req->pinned() ? "pin" : "unpin", caller.name, req->sha256(), resp->artifact().name());
    return absl::OkStatus();
  });
}

}  // namespace benchlab::coordinator
