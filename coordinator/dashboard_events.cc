// The dashboard's event streams; see dashboard_events.h.
#include "coordinator/dashboard_events.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "coordinator/dashboard_http.h"
#include "coordinator/lab_calls.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

bool EventStream::Next(std::string* out, absl::Duration keepalive) {
  {
    absl::MutexLock l(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return woken_ || closed_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), keepalive);
    if (closed_) return false;
    if (!woken_) {
      *out += ": keepalive\n\n";
      return true;
    }
    // Bursts (a lab of phones reporting at once) become one batch per min_gap_.
    const absl::Time earliest = last_batch_ + min_gap_;
    auto closed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_; };
    if (absl::Now() < earliest) mu_.AwaitWithDeadline(absl::Condition(&closed), earliest);
    if (closed_) return false;
    woken_ = false;
    last_batch_ = absl::Now();
  }
  return Collect(out);
}

void EventStream::Close() {
  absl::MutexLock l(&mu_);
  closed_ = true;
}

void EventStream::set_min_gap(absl::Duration gap) {
  absl::MutexLock l(&mu_);
  min_gap_ = gap;
}

void EventStream::Wake() {
  absl::MutexLock l(&mu_);
  woken_ = true;
}

namespace {

// ---- lab ----
class LabEvents : public EventStream {
 public:
  static constexpr absl::Duration kMinGap = absl::Milliseconds(250);
  LabEvents(Core* core, LabView* view) : EventStream(kMinGap), core_(core), view_(view) {}
  ~LabEvents() override { LabEvents::Release(); }
  void Start(const std::shared_ptr<LabEvents>& self) {
    std::weak_ptr<LabEvents> weak = self;
    listener_ = core_->lab_changes()->AddListener([weak] {
      if (auto s = weak.lock()) s->Wake();
    });
  }
  void Release() override {
    if (listener_ != 0) core_->lab_changes()->RemoveListener(listener_);
    listener_ = 0;
  }

 protected:
  bool Collect(std::string* out) override {
    LabView::Event e = view_->Current();
    *out += *e.text;
    set_min_gap(std::max(kMinGap, 10 * e.cost));
    return true;
  }

 private:
  Core* const core_;
  LabView* const view_;
  uint64_t listener_ = 0;
};

// ---- job ----
class JobEvents : public EventStream, public JobWatcher {
 public:
  JobEvents(Core* core, std::string job_id) : core_(core), job_id_(std::move(job_id)) {}
  ~JobEvents() override = default;
  // Called under Core's lock: only queues.
  void RunChanged(const v1::Job& job, const v1::Run& run) override {
    {
      absl::MutexLock l(&data_mu_);
      job_ = job;
      pending_[run.run_id()] = run;
    }
    Wake();
  }
  void JobFinished(const v1::Job& job) override {
    {
      absl::MutexLock l(&data_mu_);
      job_ = job;
      finished_ = true;
    }
    Wake();
  }
  void SetSnapshot(v1::WatchJobResponse snapshot) {
    absl::MutexLock l(&data_mu_);
    snapshot_ = std::move(snapshot);
    have_snapshot_ = true;
    if (snapshot_.job().finished_unix_ms() != 0) finished_ = true;
  }
  void Release() override {
    bool watching;
    {
      absl::MutexLock l(&data_mu_);
      watching = watching_;
      watching_ = false;
    }
    if (watching) core_->Unwatch(job_id_, this);
  }
  void set_watching() {
    absl::MutexLock l(&data_mu_);
    watching_ = true;
  }

 protected:
  bool Collect(std::string* out) override {
    v1::WatchJobResponse msg;
    bool finished;
    {
      absl::MutexLock l(&data_mu_);
      if (have_snapshot_) {
        msg = std::move(snapshot_);
        have_snapshot_ = false;
        // Changes queued since the snapshot was taken follow it at once.
        for (auto& [id, run] : pending_) *msg.add_runs() = std::move(run);
        if (!pending_.empty()) *msg.mutable_job() = job_;
      } else {
        *msg.mutable_job() = job_;
        for (auto& [id, run] : pending_) *msg.add_runs() = std::move(run);
      }
      pending_.clear();
      finished = finished_;
    }
    *out += SseEvent("job", ToJson(msg));
    if (finished) *out += SseEvent("end", "{}");
    return !finished;
  }

 private:
  Core* const core_;
  const std::string job_id_;
  absl::Mutex data_mu_;
  v1::WatchJobResponse snapshot_ ABSL_GUARDED_BY(data_mu_);
  bool have_snapshot_ ABSL_GUARDED_BY(data_mu_) = false;
  v1::Job job_ ABSL_GUARDED_BY(data_mu_);
  // Coalesced by run id: bounded by the job's size however slow the reader.
  std::map<std::string, v1::Run> pending_ ABSL_GUARDED_BY(data_mu_);
  bool finished_ ABSL_GUARDED_BY(data_mu_) = false;
  bool watching_ ABSL_GUARDED_BY(data_mu_) = false;
};

// ---- logs ----
class LogEvents : public EventStream {
 public:
  static constexpr size_t kBatchLines = 1024;
  static constexpr size_t kBatchBytes = 1 << 20;
  // Lines come in bursts; a page repaints at most 10 times a second.
  LogEvents() : EventStream(absl::Milliseconds(100)) {}
  void set_subscription(std::unique_ptr<LogSubscription> sub) {
    absl::MutexLock l(&data_mu_);
    sub_ = std::move(sub);
  }
  void Notify() { Wake(); }
  void Release() override {
    std::unique_ptr<LogSubscription> sub;
    {
      absl::MutexLock l(&data_mu_);
      sub = std::move(sub_);
    }
    sub.reset();  // unsubscribes outside our lock (the hub may be notifying us)
  }

 protected:
  bool Collect(std::string* out) override {
    v1::LogBatch batch;
    bool more = false;
    {
      absl::MutexLock l(&data_mu_);
      if (sub_ == nullptr) return false;
      if (!sub_->Drain(kBatchLines, kBatchBytes, &batch)) return true;
      more = batch.lines_size() == static_cast<int>(kBatchLines);
    }
    *out += SseEvent("logs", ToJson(batch));
    if (more) Wake();  // a full batch: the rest goes next
    return true;
  }

 private:
  absl::Mutex data_mu_;
  std::unique_ptr<LogSubscription> sub_ ABSL_GUARDED_BY(data_mu_);
};

}  // namespace

std::shared_ptr<EventStream> OpenLabEvents(Core* core, LabView* view) {
  auto s = std::make_shared<LabEvents>(core, view);
  s->Start(s);
  return s;
}

absl::StatusOr<std::shared_ptr<EventStream>> OpenJobEvents(Core* core, const std::string& job_id) {
  auto s = std::make_shared<JobEvents>(core, job_id);
  s->set_watching();
  auto snap = core->Watch(job_id, s);
  if (!snap.ok()) {
    s->Release();  // not registered; Unwatch of an unknown watcher is a no-op
    return snap.status();
  }
  s->SetSnapshot(std::move(*snap));
  return std::shared_ptr<EventStream>(s);
}

absl::StatusOr<std::shared_ptr<EventStream>> OpenLogEvents(Core* core, const v1::StreamLogsRequest& req) {
  if (auto st = core->CheckDevice(req.device_id()); !st.ok()) return st;
  auto filter = LogFilterFor(req);
  if (!filter.ok()) return filter.status();
  auto s = std::make_shared<LogEvents>();
  std::weak_ptr<LogEvents> weak = s;
  auto sub = core->log_hub()->Subscribe(req.device_id(), static_cast<size_t>(std::max(0, req.tail_lines())), *filter,
                                        [weak] {
                                          if (auto l = weak.lock()) l->Notify();
                                        });
  if (sub == nullptr) return absl::ResourceExhaustedError("too many log subscribers; try again later");
  s->set_subscription(std::move(sub));
  return std::shared_ptr<EventStream>(s);
}

}  // namespace benchlab::coordinator
