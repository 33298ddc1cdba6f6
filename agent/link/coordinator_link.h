// CoordinatorLink: the agent's dial-out session with the coordinator (AgentLink.Connect).
// Sends hello (phones + runs held), replays the outbox, forwards run events, device
// updates and logs, hands assignments, cancels and log subscriptions to the agent, and
// redials forever with jittered backoff. Also the agent's ArtifactDownloader.
#ifndef BENCHLAB_AGENT_LINK_COORDINATOR_LINK_H_
#define BENCHLAB_AGENT_LINK_COORDINATOR_LINK_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/link/artifact_cache.h"
#include "agent/link/backoff.h"
#include "agent/link/outbox.h"
#include "benchlab/v1/agent_link.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace benchlab::agent::link {

// What the link needs from the agent. Every method is called on the link's session
// (reader) thread and must not block long: hand work to the agent's own threads. Calling
// back into CoordinatorLink (SendRunEvent, ...) from these methods is allowed.
class LinkHandler {
 public:
  virtual ~LinkHandler() = default;
  // Every phone the host's adb server reports now (for hello).
  virtual std::vector<benchlab::v1::DeviceInfo> CurrentDevices() = 0;
  // Runs still executing on this host (for hello).
  virtual std::vector<benchlab::v1::ActiveRun> ActiveRuns() = 0;
  virtual void OnAssign(const benchlab::v1::RunAssignment& assignment) = 0;
  virtual void OnCancel(const benchlab::v1::CancelRun& cancel) = 0;
  virtual void OnLogSubscription(const benchlab::v1::LogSubscription& sub) = 0;
  // true once a session's hello is acknowledged; false when that session ends.
  virtual void OnConnectionChange(bool connected) {}
};

struct LinkOptions {
  // Coordinator address, "host:port".
  std::string target;
  // Plaintext: only allowed when target's host is loopback (127.0.0.0/8, ::1, localhost).
  bool insecure = false;
  // mTLS (when !insecure): CA that signed the coordinator's certificate, and this
  // agent's client certificate and key (PEM files). The certificate's CN is the agent id.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // Sent in hello. agent_id is only honoured by an --insecure coordinator.
  std::string agent_id;
  std::string hostname;
  std::string version;
  // Match the coordinator (20 s ping, 10 s timeout) so a dead peer is noticed by both.
  absl::Duration keepalive_time = absl::Seconds(20);
  absl::Duration keepalive_timeout = absl::Seconds(10);
  // Redial backoff (full jitter).
  BackoffOptions backoff;
  // Outbox replay after hello_ack: start after a random delay in [0, replay_jitter], then
  // at most replay_events_per_s, so many agents recovering at once do not flood the
  // coordinator. Events added after the session started are sent unpaced (but in order).
  absl::Duration replay_jitter = absl::Seconds(2);
  int replay_events_per_s = 200;
  // A run event written on a session and not acknowledged within this time ends that
  // session (the coordinator acks only what it applied; e.g. its store failed); the
  // redial replays the outbox in order.
  absl::Duration ack_timeout = absl::Seconds(60);
  // Log batches queued while the stream is busy; beyond it SendLogs drops.
  size_t max_queued_log_batches = 256;
  // Deadline of one DownloadArtifact call (it waits for the coordinator to be reachable).
  absl::Duration download_timeout = absl::Minutes(30);
  // Jitter seed; 0 = from std::random_device.
  uint64_t seed = 0;
};

// Counters for logs and metrics.
struct LinkStats {
  uint64_t sessions = 0;            // hello acknowledged
  uint64_t refused_duplicate = 0;   // ALREADY_EXISTS: another live agent with our identity
  uint64_t replaced = 0;            // ABORTED: a newer session of our identity replaced ours
  uint64_t events_sent = 0;         // RunEvents written (replays included)
  uint64_t acks_received = 0;       // event ids acknowledged
  uint64_t log_batches_dropped = 0;
  uint64_t ack_timeouts = 0;        // sessions ended because an event stayed unacknowledged
  uint64_t device_updates_dropped = 0;
};

// Threads: Start() spawns one session thread. Per session it dials, writes hello, then
// reads the stream (dispatching to LinkHandler and applying acks to the outbox) until the
// stream ends; a writer thread per session writes everything else, one message at a time
// (sync gRPC stream: one reader and one writer may work concurrently). The public Send*
// methods only queue and signal the writer (absl::Mutex + condition); they never wait on
// the network. Run events are sent from the outbox in its order, so a replay never
// overtakes or is overtaken by a live event.
class CoordinatorLink : public ArtifactDownloader {
 public:
  // handler and outbox are not owned and must outlive the link.
  CoordinatorLink(LinkOptions options, LinkHandler* handler, Outbox* outbox);
  ~CoordinatorLink() override;  // Stop()s
  CoordinatorLink(const CoordinatorLink&) = delete;
  CoordinatorLink& operator=(const CoordinatorLink&) = delete;

  // Checks the options (TLS files readable, insecure only on loopback) and starts
  // dialling in the background. InvalidArgument/NotFound when the options are unusable.
  absl::Status Start();
  // What Start refuses for its options alone (no target, plaintext beyond loopback,
  // unreadable TLS files), checked without starting anything.
  static absl::Status CheckOptions(const LinkOptions& options);
  // Ends the session and the background threads promptly (cancels the stream and any
  // backoff wait); joins them. Idempotent.
  void Stop();

  // Stores `event` (event_id set by the caller) in the outbox, then sends it when
  // connected (or on the next session's replay). The status is the outbox's: on a full
  // disk it is ResourceExhausted, yet the event is still held in memory and sent.
  absl::Status SendRunEvent(benchlab::v1::RunEvent event);
  // Live only: dropped while disconnected (the next hello carries the full list).
  void SendDeviceUpdate(benchlab::v1::DeviceUpdate update);
  // Live only, best effort: false (and counted) when disconnected or the queue is full.
  // Never blocks.
  bool SendLogs(benchlab::v1::LogBatch batch);

  // AgentLink.DownloadArtifact over this link's channel credentials (its own channel).
  // Waits for the coordinator to be reachable, up to download_timeout.
  absl::Status Download(const std::string& sha256, int64_t offset, ChunkSink sink) override;
  ArtifactDownloader* downloader() { return this; }

  bool connected() const;
  // The identity the coordinator gave this agent in the last hello_ack (the certificate's
  // CN under mTLS); empty before the first session.
  std::string assigned_agent_id() const;
  // Status of the last ended session (or dial attempt); OK before any ended.
  absl::Status last_session_status() const;
  LinkStats stats() const;

 private:
  struct Session;
  // Checks the options and builds the credentials and the download channel.
  absl::Status Configure();
  void SessionLoop();
  // One dial + hello + read loop; returns the stream's final status.
  absl::Status RunSession();
  void WriterLoop(Session* session);
  std::shared_ptr<grpc::Channel> NewChannel() const;
  std::vector<benchlab::v1::ActiveRun> HelloRuns();

  const LinkOptions options_;
  LinkHandler* const handler_;
  Outbox* const outbox_;
  std::shared_ptr<grpc::ChannelCredentials> creds_;  // set by Start
  std::shared_ptr<grpc::Channel> download_channel_;  // set by Start

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  // The live session, if any (owned by the session thread; valid while set).
  Session* session_ ABSL_GUARDED_BY(mu_) = nullptr;
  // Download calls in progress, cancelled by Stop.
  std::vector<grpc::ClientContext*> downloads_ ABSL_GUARDED_BY(mu_);
  // Newest outbox seq the writer has been told about (SendRunEvent raises it).
  uint64_t outbox_hint_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_status_ ABSL_GUARDED_BY(mu_);
  std::string assigned_agent_id_ ABSL_GUARDED_BY(mu_);
  LinkStats stats_ ABSL_GUARDED_BY(mu_);
  std::thread session_thread_;
};

}  // namespace benchlab::agent::link

#endif  // BENCHLAB_AGENT_LINK_COORDINATOR_LINK_H_
