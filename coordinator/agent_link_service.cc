// AgentLinkService: the agent session reactor (reads drive Core; Core's messages are
// queued and written one at a time) and the download reactor.
#include "coordinator/agent_link_service.h"

#include <deque>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "coordinator/auth.h"
#include "coordinator/input_limits.h"
#include "coordinator/lab_service.h"
#include "spdlog/spdlog.h"

namespace benchlab::coordinator {

namespace v1 = benchlab::v1;

namespace {

class SessionReactor;

// What Core holds: cut when the reactor is done, so late sends are dropped safely.
class SessionChannel : public AgentChannel {
 public:
  void Send(const v1::CoordinatorMessage& msg) override;
  void Close(const std::string& why) override;
  void EndForShutdown() override;
  absl::Mutex mu;
  SessionReactor* reactor ABSL_GUARDED_BY(mu) = nullptr;
};

class SessionReactor : public grpc::ServerBidiReactor<v1::AgentMessage, v1::CoordinatorMessage> {
 public:
  SessionReactor(grpc::CallbackServerContext* ctx, Core* core, const AgentLinkService::Options& options,
                 SerialWorker* worker)
      : core_(core), options_(options), worker_(worker), channel_(std::make_shared<SessionChannel>()) {
    cert_identity_ = PeerCommonName(*ctx);
    if (cert_identity_.empty() && !options_.allow_hello_identity) {
      FinishNow(grpc::Status(grpc::UNAUTHENTICATED, "agents must present a client certificate"));
      return;
    }
    {
      absl::MutexLock l(&channel_->mu);
      channel_->reactor = this;
    }
    StartRead(&in_);
  }

  void Enqueue(const v1::CoordinatorMessage& msg) {
    absl::MutexLock l(&mu_);
    if (finish_called_) return;
    if (out_.size() >= options_.max_outbound) {
      spdlog::warn("event=agent_outbound_overflow agent={} queued={}", agent_id_, out_.size());
      return FinishLocked(grpc::Status(grpc::RESOURCE_EXHAUSTED, "agent too slow; reconnect"));
    }
    out_.push_back(msg);
    MaybeWriteLocked();
  }

  // A newer session of the same agent took over: end this one (after any write in flight).
  void Replace(const std::string& why) { FinishNow(grpc::Status(grpc::ABORTED, why)); }
  // The coordinator is stopping: UNAVAILABLE, so the agent redials (with its backoff).
  void EndForShutdown() { FinishNow(grpc::Status(grpc::UNAVAILABLE, "shutting down")); }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The agent closed its side, or sent bytes that are no AgentMessage: gRPC reports
      // both alike. Before a hello, neither is a session worth an OK.
      grpc::Status end = grpc::Status::OK;
      if (agent_id_.empty()) {
        end = grpc::Status(grpc::INVALID_ARGUMENT,
                           "no hello: the stream ended, or its first message was not an AgentMessage");
        spdlog::warn("event=agent_refused reason=\"{}\"", end.error_message());
      }
      absl::MutexLock l(&mu_);
      read_closed_ = true;
      pending_status_ = end;
      if (!writing_) FinishLocked(end);
      return;
    }
    if (agent_id_.empty()) {
      if (!in_.has_hello()) return FinishNow(grpc::Status(grpc::FAILED_PRECONDITION, "first message must be hello"));
      std::string id = cert_identity_.empty() ? in_.hello().agent_id() : cert_identity_;
      if (auto st = CheckName("agent_id", id); !st.ok()) {
        spdlog::warn("event=agent_refused reason=\"{}\"", std::string(st.message()));
        return FinishNow(ToGrpc(st));
      }
      std::string dropped;
      (void)SanitizeHello(in_.mutable_hello(), &dropped);
      if (!dropped.empty()) spdlog::warn("event=devices_refused agent={} reason=\"{}\"", id, dropped);
      auto ack = core_->AgentHello(id, in_.hello(), channel_);
      if (!ack.ok()) {
        spdlog::warn("event=agent_refused agent={} reason=\"{}\"", id, ack.status().ToString());
        return FinishNow(ToGrpc(ack.status()));
      }
      {
        absl::MutexLock l(&mu_);
        agent_id_ = id;
        // The ack goes first: whatever Core queued during the hello waited for it
        // (MaybeWriteLocked writes nothing before ready_).
        v1::CoordinatorMessage m;
        *m.mutable_hello_ack() = *ack;
        out_.push_front(m);
        ready_ = true;
        MaybeWriteLocked();
      }
      core_->Tick();  // assign runs to the phones that just came online
    } else {
      switch (in_.msg_case()) {
        case v1::AgentMessage::kDeviceUpdate:
          if (auto st = SanitizeDeviceInfo(in_.mutable_device_update()->mutable_device()); !st.ok()) {
            spdlog::warn("event=device_update_refused agent={} reason=\"{}\"", agent_id_, std::string(st.message()));
            break;
          }
          core_->DeviceUpdate(agent_id_, in_.device_update());
          break;
        case v1::AgentMessage::kRunEvent: {
          v1::RunEvent* ev = in_.mutable_run_event();
          if (ev->event_id().empty()) {
            // Nothing to acknowledge it by; it cannot be in an outbox either.
            spdlog::warn("event=run_event_refused agent={} reason=no_event_id", agent_id_);
            break;
          }
          if (SanitizeRunEvent(ev)) {
            spdlog::warn("event=run_event_corrected agent={} id={} reason=\"impossible metrics\"", agent_id_,
                         ev->event_id());
          }
          // Applied (and stored: a disk sync, one change at a time in the core) on the worker; this
          // gRPC thread goes back to the transports. The next read starts once it is done.
          {
            absl::MutexLock l(&mu_);
            ++holds_;
          }
          worker_->Post([this] { ApplyRunEvent(); });
          return;
        }
        case v1::AgentMessage::kLogs:
          for (auto& line : *in_.mutable_logs()->mutable_lines()) {
            TruncateText(line.mutable_tag(), kMaxLabelBytes);
            TruncateText(line.mutable_message(), kMaxLogLineBytes);
          }
          core_->AgentLogs(agent_id_, *in_.mutable_logs());
          break;
        case v1::AgentMessage::kHello:
          return FinishNow(grpc::Status(grpc::FAILED_PRECONDITION, "hello sent twice"));
        default:
          break;
      }
    }
    StartRead(&in_);
  }

  // On the worker: applies the event read into in_, acks it, reads on.
  void ApplyRunEvent() {
    const v1::RunEvent& ev = in_.run_event();
    absl::Status st = ev.event_id().size() > 4 * kMaxNameBytes
                          ? absl::InvalidArgumentError("event_id longer than 512 bytes")
                          : core_->RunEvent(agent_id_, ev);
    bool read_on = st.ok() || absl::IsInvalidArgument(st);
    if (absl::IsInvalidArgument(st)) {
      // Refused for what it is: it would be refused on every replay too. The ack lets
      // the agent drop it (and go on with its other events) instead of redialling
      // forever.
      spdlog::warn("event=run_event_refused agent={} id={} reason=\"{}\"", agent_id_,
                   ev.event_id().substr(0, 128), std::string(st.message()));
      v1::CoordinatorMessage m;
      m.mutable_ack()->add_event_ids(ev.event_id());
      Enqueue(m);
    } else if (!st.ok()) {
      // Not acknowledged: the agent keeps it in its outbox. Ending the session makes
      // it redial (with backoff) and replay it, and everything after it, in order;
      // reading on would apply later events of the run before this one.
      spdlog::error("event=run_event_failed agent={} id={} error={}", agent_id_, in_.run_event().event_id(),
                    st.ToString());
      FinishNow(grpc::Status(grpc::UNAVAILABLE, absl::StrCat("coordinator could not store event ",
                                                            in_.run_event().event_id(), ": ", st.message(),
                                                            "; redial and replay")));
    } else {
      v1::CoordinatorMessage m;
      m.mutable_ack()->add_event_ids(in_.run_event().event_id());
      Enqueue(m);
    }
    {
      absl::MutexLock l(&mu_);
      read_on = read_on && !finish_called_ && !deferred_finish_;
    }
    // The hold keeps the call from finishing (and the reactor from being deleted) until
    // the read is started; not under mu_, as its reaction may run on this thread.
    if (read_on) StartRead(&in_);
    absl::MutexLock l(&mu_);
    if (--holds_ == 0 && deferred_finish_) {
      deferred_finish_ = false;
      FinishLocked(pending_finish_);
    }
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock l(&mu_);
    writing_ = false;
    if (!ok) return FinishLocked(grpc::Status(grpc::CANCELLED, "agent gone"));
    out_.pop_front();
    if (read_closed_ && out_.empty()) return FinishLocked(pending_status_);
    MaybeWriteLocked();
  }

  void OnCancel() override {
    absl::MutexLock l(&mu_);
    cancelled_ = true;
    if (!writing_) FinishLocked(grpc::Status(grpc::CANCELLED, "cancelled"));
  }

  void OnDone() override {
    {
      absl::MutexLock l(&channel_->mu);
      channel_->reactor = nullptr;
    }
    if (!agent_id_.empty()) core_->AgentGone(agent_id_, channel_.get());
    delete this;
  }

 private:
  void FinishNow(grpc::Status st) {
    absl::MutexLock l(&mu_);
    // Only finish once any in-flight write completes (OnWriteDone finishes then).
    if (writing_) {
      pending_status_ = st;
      cancelled_ = true;
      return;
    }
    FinishLocked(st);
  }
  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finish_called_) return;
    if (cancelled_) return FinishLocked(pending_status_);
    if (out_.empty() || !ready_) return;
    writing_ = true;
    StartWrite(&out_.front());
  }
  void FinishLocked(grpc::Status st) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finish_called_) return;
    if (holds_ > 0) {
      // An event is being applied on the worker: finish once it is done with this reactor.
      if (!deferred_finish_) pending_finish_ = st;
      deferred_finish_ = true;
      return;
    }
    finish_called_ = true;
    Finish(st);
  }

  Core* core_;
  const AgentLinkService::Options options_;
  SerialWorker* worker_;
  std::shared_ptr<SessionChannel> channel_;
  std::string cert_identity_;
  std::string agent_id_;  // set once after hello; read only on the reactor's read path/OnDone
  v1::AgentMessage in_;
  absl::Mutex mu_;
  std::deque<v1::CoordinatorMessage> out_ ABSL_GUARDED_BY(mu_);  // front is in flight when writing_
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;  // hello acknowledged; writes may start
  bool read_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_called_ ABSL_GUARDED_BY(mu_) = false;
  // Run events handed to the worker and not yet done with; Finish waits for zero.
  int holds_ ABSL_GUARDED_BY(mu_) = 0;
  bool deferred_finish_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status pending_finish_ ABSL_GUARDED_BY(mu_);
  grpc::Status pending_status_ ABSL_GUARDED_BY(mu_) = grpc::Status(grpc::CANCELLED, "cancelled");
};

void SessionChannel::Send(const v1::CoordinatorMessage& msg) {
  absl::MutexLock l(&mu);
  if (reactor) reactor->Enqueue(msg);
}

void SessionChannel::EndForShutdown() {
  absl::MutexLock l(&mu);
  if (reactor) reactor->EndForShutdown();
}

void SessionChannel::Close(const std::string& why) {
  absl::MutexLock l(&mu);
  if (reactor) reactor->Replace(why);
}

class DownloadReactor : public grpc::ServerWriteReactor<v1::ArtifactChunk> {
 public:
  DownloadReactor(grpc::CallbackServerContext* ctx, Core* core, const AgentLinkService::Options& options,
                  const v1::DownloadArtifactRequest& req)
      : core_(core), sha256_(req.sha256()), offset_(req.offset()), chunk_(options.download_chunk_bytes) {
    if (PeerCommonName(*ctx).empty() && !options.allow_hello_identity) {
      Finish(grpc::Status(grpc::UNAUTHENTICATED, "agents must present a client certificate"));
      return;
    }
    if (!core_->artifacts()->Has(sha256_)) {
      Finish(grpc::Status(grpc::NOT_FOUND, "artifact " + sha256_ + " not found"));
      return;
    }
    std::error_code ec;
    size_ = static_cast<int64_t>(std::filesystem::file_size(core_->artifacts()->PathOf(sha256_), ec));
    if (offset_ < 0 || offset_ > size_) {
      Finish(grpc::Status(grpc::OUT_OF_RANGE, "offset beyond the artifact's size"));
      return;
    }
    Next();
  }
  void OnWriteDone(bool ok) override {
    if (!ok) return Finish(grpc::Status(grpc::CANCELLED, "reader gone"));
    Next();
  }
  void OnDone() override { delete this; }

 private:
  void Next() {
    if (offset_ >= size_ && sent_any_) return Finish(grpc::Status::OK);
    auto data = core_->artifacts()->Read(sha256_, offset_, chunk_);
    if (!data.ok()) return Finish(ToGrpc(data.status()));
    out_.set_offset(offset_);
    out_.set_size_bytes(size_);
    out_.set_data(std::move(*data));
    offset_ += out_.data().size();
    sent_any_ = true;
    if (out_.data().empty() && offset_ < size_) return Finish(grpc::Status(grpc::DATA_LOSS, "short read"));
    StartWrite(&out_);
  }

  Core* core_;
  std::string sha256_;
  int64_t offset_;
  int64_t size_ = 0;
  size_t chunk_;
  bool sent_any_ = false;
  v1::ArtifactChunk out_;
};

}  // namespace

grpc::ServerBidiReactor<v1::AgentMessage, v1::CoordinatorMessage>* AgentLinkService::Connect(
    grpc::CallbackServerContext* ctx) {
  return new SessionReactor(ctx, core_, options_, worker_.get());
}

grpc::ServerWriteReactor<v1::ArtifactChunk>* AgentLinkService::DownloadArtifact(
    grpc::CallbackServerContext* ctx, const v1::DownloadArtifactRequest* req) {
  return new DownloadReactor(ctx, core_, options_, *req);
}

}  // namespace benchlab::coordinator
