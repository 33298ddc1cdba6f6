// CoordinatorLink: a session thread (dial, hello, read loop, backoff) and, per session, a
// writer thread fed by queues and the outbox's order.
#include "agent/link/coordinator_link.h"

#include <algorithm>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/loopback.h"
#include "spdlog/spdlog.h"

namespace benchlab::agent::link {

namespace v1 = benchlab::v1;

namespace {

absl::Status FromGrpc(const grpc::Status& st) {
  return absl::Status(static_cast<absl::StatusCode>(st.error_code()), st.error_message());
}

absl::StatusOr<std::string> ReadPem(const std::string& what, const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat("coordinator link: ", what, " file not set"));
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("coordinator link: cannot read ", what, " file ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Events written per writer pass, so device updates and logs are not starved by a long
// replay.
constexpr size_t kEventsPerPass = 64;
constexpr size_t kLogsPerPass = 16;
constexpr size_t kMaxQueuedDeviceUpdates = 1024;

}  // namespace

// One dial: its call, and what the writer has to send on it. Fields below `ctx` and
// `stream` are guarded by CoordinatorLink::mu_.
struct CoordinatorLink::Session {
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReaderWriter<v1::AgentMessage, v1::CoordinatorMessage>> stream;
  bool ended = false;  // the reader saw the stream end (or Stop): the writer leaves
  std::deque<v1::DeviceUpdate> device_updates;
  std::deque<v1::LogBatch> logs;
  uint64_t sent_seq = 0;        // outbox events up to this seq were written on this session
  uint64_t replay_end_seq = 0;  // events up to this seq were held at hello_ack: paced
};

CoordinatorLink::CoordinatorLink(LinkOptions options, LinkHandler* handler, Outbox* outbox)
    : options_(std::move(options)), handler_(handler), outbox_(outbox) {}

CoordinatorLink::~CoordinatorLink() { Stop(); }

absl::Status CoordinatorLink::Start() {
  {
    // Claimed first: creds_ and download_channel_ are written only by the one Start that
    // succeeds, before any thread reads them.
    absl::MutexLock l(&mu_);
    if (started_) return absl::FailedPreconditionError("coordinator link: already started");
    started_ = true;
  }
  absl::Status st = Configure();
  if (!st.ok()) {
    absl::MutexLock l(&mu_);
    started_ = false;
    return st;
  }
  session_thread_ = std::thread([this] { SessionLoop(); });
  return absl::OkStatus();
}

absl::Status CoordinatorLink::CheckOptions(const LinkOptions& options) {
  if (options.target.empty()) return absl::InvalidArgumentError("coordinator link: no target (host:port)");
  if (options.insecure) {
    if (absl::Status st = CheckLoopbackTarget(options.target); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("coordinator link: plaintext (insecure) is only allowed to a ",
                                                     "loopback coordinator: ", st.message(),
                                                     "; give the CA, certificate and key files"));
    }
    return absl::OkStatus();
  }
  for (const auto& [what, path] : {std::pair<const char*, const std::string*>{"CA", &options.ca_file},
                                   {"client certificate", &options.cert_file},
                                   {"client key", &options.key_file}}) {
    if (auto pem = ReadPem(what, *path); !pem.ok()) return pem.status();
  }
  return absl::OkStatus();
}

absl::Status CoordinatorLink::Configure() {
  if (absl::Status st = CheckOptions(options_); !st.ok()) return st;
  if (options_.insecure) {
    creds_ = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    auto ca = ReadPem("CA", options_.ca_file);
    if (!ca.ok()) return ca.status();
    auto cert = ReadPem("client certificate", options_.cert_file);
    if (!cert.ok()) return cert.status();
    auto key = ReadPem("client key", options_.key_file);
    if (!key.ok()) return key.status();
    ssl.pem_root_certs = *ca;
    ssl.pem_cert_chain = *cert;
    ssl.pem_private_key = *key;
    creds_ = grpc::SslCredentials(ssl);
  }
  {
    grpc::ChannelArguments args;
    // A download waits for the coordinator (wait_for_ready); retry the connection often.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 500);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(absl::ToInt64Milliseconds(options_.keepalive_time)));
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                static_cast<int>(absl::ToInt64Milliseconds(options_.keepalive_timeout)));
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    args.SetMaxReceiveMessageSize(16 << 20);
    download_channel_ = grpc::CreateCustomChannel(options_.target, creds_, args);
  }
  return absl::OkStatus();
}

void CoordinatorLink::Stop() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
    if (session_) {
      session_->ended = true;
      session_->ctx.TryCancel();
    }
    for (grpc::ClientContext* ctx : downloads_) ctx->TryCancel();
  }
  if (session_thread_.joinable()) session_thread_.join();
}

std::shared_ptr<grpc::Channel> CoordinatorLink::NewChannel() const {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(absl::ToInt64Milliseconds(options_.keepalive_time)));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(absl::ToInt64Milliseconds(options_.keepalive_timeout)));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // A fresh channel per dial, with its own subchannel: our backoff decides when to
  // redial, not a shared subchannel's reconnect timer left over from the last failure.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxReceiveMessageSize(16 << 20);
  return grpc::CreateCustomChannel(options_.target, creds_, args);
}

std::vector<v1::ActiveRun> CoordinatorLink::HelloRuns() {
  std::vector<v1::ActiveRun> runs = handler_->ActiveRuns();
  std::set<std::pair<std::string, int>> seen;
  for (const auto& r : runs) seen.insert({r.run_id(), r.attempt()});
  for (auto& r : outbox_->RunsWithUnackedEvents()) {
    if (seen.insert({r.run_id(), r.attempt()}).second) runs.push_back(std::move(r));
  }
  return runs;
}

void CoordinatorLink::SessionLoop() {
  uint64_t seed = options_.seed;
  if (seed == 0) seed = (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  Backoff backoff(options_.backoff, seed);
  for (;;) {
    {
      absl::MutexLock l(&mu_);
      if (stopping_) return;
    }
    uint64_t sessions_before = stats().sessions;
    absl::Status st = RunSession();
    bool acked = stats().sessions > sessions_before;
    absl::Duration wait;
    {
      absl::MutexLock l(&mu_);
      last_status_ = st;
      if (stopping_) return;
      if (acked) backoff.Reset();
      // ALREADY_EXISTS (an older coordinator's duplicate refusal) and ABORTED (a newer
      // session of our identity replaced ours; our own redial never sees that, as the
      // replaced session is the one we gave up on) both mean another live agent has our
      // identity: the longest backoff keeps the two from taking the session from each
      // other every few milliseconds.
      const bool duplicate = st.code() == absl::StatusCode::kAlreadyExists;
      if (duplicate || st.code() == absl::StatusCode::kAborted) {
        ++(duplicate ? stats_.refused_duplicate : stats_.replaced);
        wait = backoff.NextAtMax();
        spdlog::error(
            "event={} target={} agent={} error=\"{}\" retry_in_s={:.1f} hint=\"another benchlab-agent with "
            "this identity is connected; stop it or give this host its own certificate\"",
            duplicate ? "link_refused_duplicate" : "link_session_replaced", options_.target, options_.agent_id,
            st.ToString(), absl::ToDoubleSeconds(wait));
      } else {
        wait = backoff.Next();
        spdlog::warn("event=link_down target={} error=\"{}\" retry_in_s={:.1f}", options_.target, st.ToString(),
                     absl::ToDoubleSeconds(wait));
      }
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
    }
  }
}

absl::Status CoordinatorLink::RunSession() {
  auto stub = v1::AgentLink::NewStub(NewChannel());
  auto session = std::make_unique<Session>();
  Session* s = session.get();
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return absl::CancelledError("stopping");
    // From here device updates queue for this session: the hello below may already
    // miss them.
    session_ = s;
  }
  auto detach = [&] {
    absl::MutexLock l(&mu_);
    session_ = nullptr;
  };
  s->stream = stub->Connect(&s->ctx);

  v1::AgentMessage hello_msg;
  auto* hello = hello_msg.mutable_hello();
  hello->set_agent_id(options_.agent_id);
  hello->set_hostname(options_.hostname);
  hello->set_version(options_.version);
  for (auto& d : handler_->CurrentDevices()) *hello->add_devices() = std::move(d);
  for (auto& r : HelloRuns()) *hello->add_active_runs() = std::move(r);

  v1::CoordinatorMessage in;
  if (!s->stream->Write(hello_msg) || !s->stream->Read(&in)) {
    grpc::Status st = s->stream->Finish();
    detach();
    return st.ok() ? absl::UnavailableError("stream closed before hello_ack") : FromGrpc(st);
  }
  if (!in.has_hello_ack()) {
    s->ctx.TryCancel();
    s->stream->Finish().ok();
    detach();
    return absl::InternalError("coordinator's first message was not hello_ack");
  }
  const uint64_t replay_end = outbox_->last_seq();
  const size_t replay_count = outbox_->size();
  {
    absl::MutexLock l(&mu_);
    connected_ = true;
    ++stats_.sessions;
    assigned_agent_id_ = in.hello_ack().agent_id();
    s->replay_end_seq = replay_end;
  }
  spdlog::info("event=link_connected target={} agent={} coordinator_version={} devices={} active_runs={} replay={}",
               options_.target, in.hello_ack().agent_id(), in.hello_ack().version(), hello->devices_size(),
               hello->active_runs_size(), replay_count);
  handler_->OnConnectionChange(true);

  std::thread writer([this, s] { WriterLoop(s); });
  while (s->stream->Read(&in)) {
    switch (in.msg_case()) {
      case v1::CoordinatorMessage::kAssign:
        spdlog::info("event=run_assigned run={} attempt={} serial={}", in.assign().run_id(), in.assign().attempt(),
                     in.assign().serial());
        handler_->OnAssign(in.assign());
        break;
      case v1::CoordinatorMessage::kCancel:
        handler_->OnCancel(in.cancel());
        break;
      case v1::CoordinatorMessage::kLogSubscription:
        handler_->OnLogSubscription(in.log_subscription());
        break;
      case v1::CoordinatorMessage::kAck: {
        std::vector<std::string> ids(in.ack().event_ids().begin(), in.ack().event_ids().end());
        outbox_->Ack(ids);
        absl::MutexLock l(&mu_);
        stats_.acks_received += ids.size();
        break;
      }
      default:
        spdlog::debug("event=link_unexpected_message case={}", static_cast<int>(in.msg_case()));
        break;
    }
  }
  {
    absl::MutexLock l(&mu_);
    s->ended = true;  // wakes the writer; its Write fails now that the call is over
    connected_ = false;
  }
  writer.join();
  handler_->OnConnectionChange(false);
  grpc::Status st = s->stream->Finish();
  detach();
  return st.ok() ? absl::UnavailableError("coordinator closed the session") : FromGrpc(st);
}

void CoordinatorLink::WriterLoop(Session* s) {
  auto over = [this, s]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return s->ended || stopping_; };
  auto should_wake = [this, s, &over]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return over() || !s->device_updates.empty() || !s->logs.empty() || outbox_hint_ > s->sent_seq;
  };
  std::mt19937_64 rng(options_.seed ^ 0x9e3779b97f4a7c15ull);
  {
    absl::MutexLock l(&mu_);
    // Something to replay: wait a random part of replay_jitter first, so agents that all
    // lost the same coordinator do not replay at the same instant.
    outbox_hint_ = std::max(outbox_hint_, s->replay_end_seq);
    if (s->replay_end_seq > 0 && outbox_->size() > 0 && options_.replay_jitter > absl::ZeroDuration()) {
      std::uniform_real_distribution<double> u(0.0, 1.0);
      mu_.AwaitWithTimeout(absl::Condition(&over), options_.replay_jitter * u(rng));
    }
  }
  const absl::Duration pace =
      options_.replay_events_per_s > 0 ? absl::Seconds(1) / options_.replay_events_per_s : absl::ZeroDuration();
  bool ok = true;
  // Events written on this session and not yet seen acknowledged, oldest first.
  std::deque<std::pair<uint64_t, absl::Time>> awaiting_ack;
  while (ok) {
    if (!awaiting_ack.empty()) {
      std::vector<OutboxEntry> oldest = outbox_->UnackedAfter(0, 1);
      while (!awaiting_ack.empty() && (oldest.empty() || awaiting_ack.front().first < oldest[0].seq)) {
        awaiting_ack.pop_front();
      }
      if (!awaiting_ack.empty() && absl::Now() - awaiting_ack.front().second > options_.ack_timeout) {
        spdlog::warn("event=link_ack_timeout target={} event_id={} waited_s={:.0f} action=redial", options_.target,
                     oldest[0].event.event_id(), absl::ToDoubleSeconds(absl::Now() - awaiting_ack.front().second));
        absl::MutexLock l(&mu_);
        ++stats_.ack_timeouts;
        ok = false;
        break;
      }
    }
    std::vector<v1::DeviceUpdate> updates;
    std::vector<v1::LogBatch> logs;
    uint64_t sent_seq, hint;
    {
      absl::MutexLock l(&mu_);
      if (awaiting_ack.empty()) {
        mu_.Await(absl::Condition(&should_wake));
      } else if (!mu_.AwaitWithTimeout(absl::Condition(&should_wake), options_.ack_timeout / 4)) {
        continue;  // only time passed: check the acks again
      }
      if (over()) break;
      while (!s->device_updates.empty()) {
        updates.push_back(std::move(s->device_updates.front()));
        s->device_updates.pop_front();
      }
      while (!s->logs.empty() && logs.size() < kLogsPerPass) {
        logs.push_back(std::move(s->logs.front()));
        s->logs.pop_front();
      }
      sent_seq = s->sent_seq;
      hint = outbox_hint_;
    }
    v1::AgentMessage m;
    for (auto& u : updates) {
      *m.mutable_device_update() = std::move(u);
      if (!(ok = s->stream->Write(m))) break;
    }
    if (ok && hint > sent_seq) {
      std::vector<OutboxEntry> events = outbox_->UnackedAfter(sent_seq, kEventsPerPass);
      uint64_t written = 0;
      for (auto& e : events) {
        if (e.seq <= s->replay_end_seq && pace > absl::ZeroDuration() && written > 0) {
          absl::MutexLock l(&mu_);
          if (mu_.AwaitWithTimeout(absl::Condition(&over), pace)) {
            ok = false;
            break;
          }
        }
        *m.mutable_run_event() = std::move(e.event);
        if (!(ok = s->stream->Write(m))) break;
        ++written;
        awaiting_ack.emplace_back(e.seq, absl::Now());
        absl::MutexLock l(&mu_);
        s->sent_seq = e.seq;
        ++stats_.events_sent;
      }
      if (events.empty()) {
        // Everything up to `hint` was acknowledged (or dropped) before we got to it.
        absl::MutexLock l(&mu_);
        s->sent_seq = std::max(s->sent_seq, hint);
      }
    }
    for (auto& b : logs) {
      if (!ok) break;
      *m.mutable_logs() = std::move(b);
      ok = s->stream->Write(m);
    }
  }
  if (!ok) s->ctx.TryCancel();  // the reader learns the stream is broken too
}

absl::Status CoordinatorLink::SendRunEvent(v1::RunEvent event) {
  absl::Status st = outbox_->Add(event);
  if (!st.ok() && st.code() != absl::StatusCode::kResourceExhausted &&
      st.code() != absl::StatusCode::kUnavailable) {
    return st;  // not held (e.g. no event_id)
  }
  const uint64_t seq = outbox_->last_seq();
  absl::MutexLock l(&mu_);
  outbox_hint_ = std::max(outbox_hint_, seq);
  return st;
}

void CoordinatorLink::SendDeviceUpdate(v1::DeviceUpdate update) {
  absl::MutexLock l(&mu_);
  if (!session_ || session_->ended || session_->device_updates.size() >= kMaxQueuedDeviceUpdates) {
    ++stats_.device_updates_dropped;
    return;
  }
  session_->device_updates.push_back(std::move(update));
}

bool CoordinatorLink::SendLogs(v1::LogBatch batch) {
  absl::MutexLock l(&mu_);
  if (!connected_ || !session_ || session_->ended || session_->logs.size() >= options_.max_queued_log_batches) {
    ++stats_.log_batches_dropped;
    return false;
  }
  session_->logs.push_back(std::move(batch));
  return true;
}

absl::Status CoordinatorLink::Download(const std::string& sha256, int64_t offset, ChunkSink sink) {
  if (!download_channel_) return absl::FailedPreconditionError("coordinator link: not started");
  auto stub = v1::AgentLink::NewStub(download_channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(options_.download_timeout));
  ctx.set_wait_for_ready(true);
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return absl::CancelledError("coordinator link stopping");
    downloads_.push_back(&ctx);
  }
  v1::DownloadArtifactRequest req;
  req.set_sha256(sha256);
  req.set_offset(offset);
  auto reader = stub->DownloadArtifact(&ctx, req);
  v1::ArtifactChunk chunk;
  absl::Status sink_status;
  while (reader->Read(&chunk)) {
    sink_status = sink(chunk.offset(), chunk.data(), chunk.size_bytes());
    if (!sink_status.ok()) {
      ctx.TryCancel();
      break;
    }
  }
  grpc::Status st = reader->Finish();
  {
    absl::MutexLock l(&mu_);
    downloads_.erase(std::find(downloads_.begin(), downloads_.end(), &ctx));
  }
  if (!sink_status.ok()) return sink_status;
  return FromGrpc(st);
}

bool CoordinatorLink::connected() const {
  absl::MutexLock l(&mu_);
  return connected_;
}

std::string CoordinatorLink::assigned_agent_id() const {
  absl::MutexLock l(&mu_);
  return assigned_agent_id_;
}

absl::Status CoordinatorLink::last_session_status() const {
  absl::MutexLock l(&mu_);
  return last_status_;
}

LinkStats CoordinatorLink::stats() const {
  absl::MutexLock l(&mu_);
  return stats_;
}

}  // namespace benchlab::agent::link
