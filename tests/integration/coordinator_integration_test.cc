// The coordinator over real gRPC on 127.0.0.1: a fake agent written here dials AgentLink,
// a Lab client submits and watches jobs. Covers the whole run life, idempotent replay,
// identity conflicts, tokens, upload limits, a restart with a run in flight, and mTLS.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <deque>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "benchlab/v1/agent_link.grpc.pb.h"
#include "benchlab/v1/lab.grpc.pb.h"
#include "coordinator/scheduler.h"
#include "coordinator/server.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "common/sha256.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab::coordinator {
namespace {

namespace v1 = benchlab::v1;
using ::benchlab::testing::TempDir;
using ::benchlab::testing::WriteFile;

using ::benchlab::Sha256Hex;

void Deadline(grpc::ClientContext* ctx, absl::Duration d = absl::Seconds(20)) {
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(d));
}

// A pretend lab host: one Connect stream, messages from the coordinator collected by a
// reader thread.
class FakeAgent {
 public:
  FakeAgent(std::shared_ptr<grpc::Channel> channel, const std::string& id) : id_(id) {
    stub_ = v1::AgentLink::NewStub(channel);
    Deadline(&ctx_, absl::Seconds(60));
    stream_ = stub_->Connect(&ctx_);
    reader_ = std::thread([this] {
      v1::CoordinatorMessage m;
      while (stream_->Read(&m)) {
        absl::MutexLock l(&mu_);
        received_.push_back(m);
      }
      absl::MutexLock l(&mu_);
      closed_ = true;
    });
  }
  ~FakeAgent() {
    ctx_.TryCancel();
    reader_.join();
  }
  bool Hello(const std::vector<std::string>& serials, const std::vector<v1::ActiveRun>& active = {}) {
    v1::AgentMessage m;
    auto* h = m.mutable_hello();
    h->set_agent_id(id_);
    h->set_hostname(id_ + ".lab");
    h->set_version("test");
    for (const auto& s : serials) {
      auto* d = h->add_devices();
      d->set_serial(s);
      d->set_adb_state("device");
      d->set_model("Pixel 7");
      d->set_soc("Tensor G2");
    }
    for (const auto& a : active) *h->add_active_runs() = a;
    return stream_->Write(m);
  }
  bool Send(const v1::AgentMessage& m) { return stream_->Write(m); }
  bool Event(const std::string& event_id, const std::string& run_id, int attempt,
             std::function<void(v1::RunEvent*)> fill) {
    v1::AgentMessage m;
    auto* e = m.mutable_run_event();
    e->set_event_id(event_id);
    e->set_run_id(run_id);
    e->set_attempt(attempt);
    fill(e);
    return stream_->Write(m);
  }
  // Waits for the first message (after `from`) matching pred; returns its index or -1.
  int WaitFor(std::function<bool(const v1::CoordinatorMessage&)> pred, size_t from = 0,
              absl::Duration timeout = absl::Seconds(10)) {
    absl::Time end = absl::Now() + timeout;
    while (absl::Now() < end) {
      {
        absl::MutexLock l(&mu_);
        for (size_t i = from; i < received_.size(); ++i) {
          if (pred(received_[i])) return static_cast<int>(i);
        }
        if (closed_) return -1;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return -1;
  }
  v1::CoordinatorMessage At(int i) {
    absl::MutexLock l(&mu_);
    return received_[i];
  }
  int Count(std::function<bool(const v1::CoordinatorMessage&)> pred) {
    absl::MutexLock l(&mu_);
    return std::count_if(received_.begin(), received_.end(), pred);
  }
  // Ends the stream and returns the final status.
  grpc::Status Close() {
    stream_->WritesDone();
    reader_.join();
    reader_ = std::thread([] {});
    return stream_->Finish();
  }
  bool WaitClosed(absl::Duration timeout = absl::Seconds(10)) {
    absl::Time end = absl::Now() + timeout;
    while (absl::Now() < end) {
      {
        absl::MutexLock l(&mu_);
        if (closed_) return true;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }
  grpc::Status FinishStatus() { return stream_->Finish(); }

 private:
  std::string id_;
  std::unique_ptr<v1::AgentLink::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::AgentMessage, v1::CoordinatorMessage>> stream_;
  std::thread reader_;
  absl::Mutex mu_;
  std::deque<v1::CoordinatorMessage> received_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

bool IsAssign(const v1::CoordinatorMessage& m) { return m.has_assign(); }
bool IsHelloAck(const v1::CoordinatorMessage& m) { return m.has_hello_ack(); }
auto IsAckOf(const std::string& id) {
  return [id](const v1::CoordinatorMessage& m) {
    return m.has_ack() && std::find(m.ack().event_ids().begin(), m.ack().event_ids().end(), id) !=
                              m.ack().event_ids().end();
  };
}

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tokens_ = dir_.path() + "/tokens";
    ASSERT_TRUE(WriteFile(tokens_, "# test tokens\nt-admin admin alice\nt-read read bob\n"));
    StartServer();
  }
  void StartServer() {
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.data_dir = dir_.path() + "/data";
    o.insecure = true;
    o.tokens_file = tokens_;
    o.max_artifact_bytes = 64 * 1024;
    o.max_message_bytes = 1 << 20;
    o.tick = absl::Milliseconds(50);
    o.agent_grace = absl::Seconds(1);
    auto s = CoordinatorServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials());
    lab_ = v1::Lab::NewStub(channel_);
  }
  void StopServer() {
    server_->Shutdown();
    server_.reset();
  }
  void Auth(grpc::ClientContext* ctx, const std::string& token = "t-admin") {
    Deadline(ctx);
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  }
  grpc::Status Upload(const std::string& content, v1::ArtifactKind kind, v1::UploadArtifactResponse* resp,
                      const std::string& token = "t-admin", int64_t declared = -1) {
    grpc::ClientContext ctx;
    Auth(&ctx, token);
    auto w = lab_->UploadArtifact(&ctx, resp);
    v1::UploadArtifactRequest h;
    h.mutable_header()->set_kind(kind);
    h.mutable_header()->set_sha256(Sha256Hex(content));
    h.mutable_header()->set_size_bytes(declared >= 0 ? declared : content.size());
    h.mutable_header()->set_name("x");
    if (w->Write(h)) {
      for (size_t off = 0; off < content.size(); off += 16 * 1024) {
        v1::UploadArtifactRequest c;
        c.set_chunk(content.substr(off, 16 * 1024));
        if (!w->Write(c)) break;
      }
    }
    w->WritesDone();
    return w->Finish();
  }
  // Uploads a model and an APK and submits a job on every device.
  v1::Job Submit(int repeats = 1, int retries = 0, int timeout_s = 0, const std::string& description = "") {
    v1::UploadArtifactResponse m, a;
    EXPECT_TRUE(Upload("model bytes", v1::ARTIFACT_KIND_MODEL, &m).ok());
    EXPECT_TRUE(Upload("apk bytes", v1::ARTIFACT_KIND_APK, &a).ok());
    grpc::ClientContext ctx;
    Auth(&ctx);
    v1::SubmitJobRequest req;
    req.mutable_spec()->set_model_sha256(m.artifact().sha256());
    req.mutable_spec()->set_apk_sha256(a.artifact().sha256());
    req.mutable_spec()->mutable_selector()->set_all(true);
    req.mutable_spec()->set_repeats(repeats);
    req.mutable_spec()->set_description(description);
    req.mutable_spec()->set_retries(retries);
    req.mutable_spec()->set_timeout_s(timeout_s);
    req.mutable_spec()->mutable_flags()->set_num_threads(4);
    v1::SubmitJobResponse resp;
    auto st = lab_->SubmitJob(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.job();
  }
  // Drives one assigned run to DONE with avg_us = avg.
  void Complete(FakeAgent& agent, const v1::RunAssignment& a, double avg) {
    std::string p = absl::StrCat(a.run_id(), "/", a.attempt(), "/");
    ASSERT_TRUE(agent.Event(p + "1", a.run_id(), a.attempt(), [](auto* e) { e->set_state(v1::RUN_STATE_INSTALLING); }));
    ASSERT_TRUE(agent.Event(p + "2", a.run_id(), a.attempt(), [](auto* e) { e->set_state(v1::RUN_STATE_PUSHING); }));
    ASSERT_TRUE(agent.Event(p + "3", a.run_id(), a.attempt(), [](auto* e) { e->set_state(v1::RUN_STATE_RUNNING); }));
    ASSERT_TRUE(agent.Event(p + "4", a.run_id(), a.attempt(),
                            [](auto* e) { e->mutable_raw_log()->add_lines("INFO: The input model file size (MB): 1"); }));
    ASSERT_TRUE(agent.Event(p + "5", a.run_id(), a.attempt(), [avg](auto* e) {
      e->mutable_result()->set_state(v1::RUN_STATE_DONE);
      e->mutable_result()->mutable_metrics()->set_avg_us(avg);
      e->mutable_result()->mutable_metrics()->set_init_us(1000);
    }));
    ASSERT_GE(agent.WaitFor(IsAckOf(p + "5")), 0);
  }
  // Hello with one phone, a one-run job on it, and its assignment.
  void SubmitOnOnePhone(FakeAgent& agent, v1::Job* job, v1::RunAssignment* assignment) {
    ASSERT_TRUE(agent.Hello({"SER1"}));
    *job = Submit();
    int ai = agent.WaitFor(IsAssign);
    ASSERT_GE(ai, 0);
    *assignment = agent.At(ai).assign();
  }
  // Every job, following next_page_token; each page must come (and fit 1 MB).
  std::vector<std::string> ListAllJobs(int page_size, int* pages) {
    std::vector<std::string> ids;
    std::string token;
    *pages = 0;
    do {
      grpc::ClientContext ctx;
      Auth(&ctx, "t-read");
      v1::ListJobsRequest req;
      req.set_page_size(page_size);
      req.set_page_token(token);
      v1::ListJobsResponse resp;
      grpc::Status st = lab_->ListJobs(&ctx, req, &resp);
      EXPECT_TRUE(st.ok()) << st.error_message();
      EXPECT_LE(resp.ByteSizeLong(), size_t{1} << 20);
      for (const auto& j : resp.jobs()) ids.push_back(j.job_id());
      token = resp.next_page_token();
      ++*pages;
    } while (!token.empty() && *pages < 10);
    return ids;
  }
  // Every GetResults page of a job, following next_page_token (at most 100 pages).
  std::vector<v1::GetResultsResponse> ResultsPages(const std::string& job_id, bool raw_log, int page_size = 0) {
    std::vector<v1::GetResultsResponse> pages;
    v1::GetResultsRequest req;
    req.set_job_id(job_id);
    req.set_include_raw_log(raw_log);
    req.set_page_size(page_size);
    do {
      grpc::ClientContext ctx;
      Auth(&ctx, "t-read");
      grpc::Status st = lab_->GetResults(&ctx, req, &pages.emplace_back());
      EXPECT_TRUE(st.ok()) << st.error_message();
      if (!st.ok()) break;
      req.set_page_token(pages.back().next_page_token());
    } while (!req.page_token().empty() && pages.size() < 100);
    return pages;
  }
  // The agent's last word on an attempt (after it wound down on the phone).
  void Result(FakeAgent& agent, const std::string& run_id, int attempt, v1::RunState state,
              v1::ErrorClass error = v1::ERROR_CLASS_UNSPECIFIED) {
    std::string id = absl::StrCat(run_id, "/", attempt, "/result");
    ASSERT_TRUE(agent.Event(id, run_id, attempt, [&](auto* e) {
      e->mutable_result()->set_state(state);
      e->mutable_result()->set_error_class(error);
    }));
    ASSERT_GE(agent.WaitFor(IsAckOf(id)), 0);
  }
  void SetAdbState(FakeAgent& agent, const std::string& serial, const std::string& state) {
    v1::AgentMessage m;
    m.mutable_device_update()->mutable_device()->set_serial(serial);
    m.mutable_device_update()->mutable_device()->set_adb_state(state);
    ASSERT_TRUE(agent.Send(m));
  }
  grpc::Status Cancel(const std::string& job_id, v1::CancelJobResponse* resp) {
    grpc::ClientContext ctx;
    Auth(&ctx);
    v1::CancelJobRequest req;
    req.set_job_id(job_id);
    return lab_->CancelJob(&ctx, req, resp);
  }
  v1::GetJobResponse GetJob(const std::string& id) {
    grpc::ClientContext ctx;
    Auth(&ctx);
    v1::GetJobRequest req;
    req.set_job_id(id);
    v1::GetJobResponse resp;
    EXPECT_TRUE(lab_->GetJob(&ctx, req, &resp).ok());
    return resp;
  }

  TempDir dir_;
  std::string tokens_;
  std::unique_ptr<CoordinatorServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Lab::Stub> lab_;
};

TEST_F(CoordinatorTest, JobRunsOnTwoPhonesAndWatchSeesItComplete) {
  FakeAgent agent(channel_, "host1");
  ASSERT_TRUE(agent.Hello({"SER1", "SER2"}));
  ASSERT_GE(agent.WaitFor(IsHelloAck), 0);
  v1::Job job = Submit();
  ASSERT_EQ(job.runs_total(), 2);

  grpc::ClientContext wctx;
  Auth(&wctx, "t-read");
  v1::WatchJobRequest wreq;
  wreq.set_job_id(job.job_id());
  auto watch = lab_->WatchJob(&wctx, wreq);

  int a1 = agent.WaitFor(IsAssign);
  ASSERT_GE(a1, 0);
  int a2 = agent.WaitFor(IsAssign, a1 + 1);
  ASSERT_GE(a2, 0);
  v1::RunAssignment r1 = agent.At(a1).assign(), r2 = agent.At(a2).assign();
  EXPECT_NE(r1.serial(), r2.serial());
  EXPECT_EQ(r1.args(0), "--num_threads=4");
  EXPECT_EQ(r1.model().sha256(), Sha256Hex("model bytes"));
  Complete(agent, r1, 1000);
  Complete(agent, r2, 2000);

  v1::WatchJobResponse w;
  std::set<v1::RunState> seen;
  v1::Job last;
  while (watch->Read(&w)) {
    last = w.job();
    for (const auto& r : w.runs()) seen.insert(r.state());
  }
  ASSERT_TRUE(watch->Finish().ok());
  EXPECT_EQ(last.runs_done(), 2);
  EXPECT_NE(last.finished_unix_ms(), 0);
  EXPECT_TRUE(seen.contains(v1::RUN_STATE_DONE));

  grpc::ClientContext rctx;
  Auth(&rctx, "t-read");
  v1::GetResultsRequest rreq;
  rreq.set_job_id(job.job_id());
  rreq.set_include_raw_log(true);
  v1::GetResultsResponse res;
  ASSERT_TRUE(lab_->GetResults(&rctx, rreq, &res).ok());
  ASSERT_EQ(res.devices_size(), 2);
  std::map<std::string, double> avg;
  for (const auto& d : res.devices()) {
    for (const auto& a : d.aggregates()) {
      if (a.metric() == "avg_us") avg[d.device_id()] = a.median();
    }
  }
  std::map<std::string, double> want = {{"host1/" + r1.serial(), 1000}, {"host1/" + r2.serial(), 2000}};
  EXPECT_EQ(avg, want);
  ASSERT_EQ(res.runs_size(), 2);
  EXPECT_EQ(res.runs(0).raw_log_size(), 1);
  EXPECT_NE(res.runs(0).timings().running_unix_ms(), 0);
}

TEST_F(CoordinatorTest, ReplayedEventsAreAcknowledgedButAppliedOnce) {
  FakeAgent agent(channel_, "host1");
  v1::Job job;
  v1::RunAssignment a;
  ASSERT_NO_FATAL_FAILURE(SubmitOnOnePhone(agent, &job, &a));
  Complete(agent, a, 1500);
  // The agent did not see the acks (say) and replays its whole outbox.
  std::string p = absl::StrCat(a.run_id(), "/", a.attempt(), "/");
  ASSERT_TRUE(agent.Event(p + "4", a.run_id(), a.attempt(),
                          [](auto* e) { e->mutable_raw_log()->add_lines("INFO: The input model file size (MB): 1"); }));
  ASSERT_TRUE(agent.Event(p + "5", a.run_id(), a.attempt(), [](auto* e) {
    e->mutable_result()->set_state(v1::RUN_STATE_FAILED);
    e->mutable_result()->set_error_class(v1::ERROR_CLASS_APP_CRASHED);
  }));
  ASSERT_GE(agent.WaitFor([&](const auto& m) { return IsAckOf(p + "5")(m); }, 0), 0);
  ASSERT_TRUE(agent.WaitFor([](const auto&) { return false; }, 0, absl::Milliseconds(100)) < 0);
  EXPECT_EQ(agent.Count(IsAckOf(p + "5")), 2);

  grpc::ClientContext ctx;
  Auth(&ctx);
  v1::GetResultsRequest req;
  req.set_job_id(job.job_id());
  req.set_include_raw_log(true);
  v1::GetResultsResponse res;
  ASSERT_TRUE(lab_->GetResults(&ctx, req, &res).ok());
  ASSERT_EQ(res.runs_size(), 1);
  EXPECT_EQ(res.runs(0).state(), v1::RUN_STATE_DONE);
  EXPECT_EQ(res.runs(0).metrics().avg_us(), 1500);
  EXPECT_EQ(res.runs(0).raw_log_size(), 1);  // not doubled
}

// Seen end to end: the agent redialled while its old half-open session was still
// registered, was refused as a duplicate, and its run (finished on the phone) was lost
// to the grace and then discarded as a stale attempt.
TEST_F(CoordinatorTest, AgentRedialingWhileItsOldSessionIsStillRegisteredReplacesIt) {
  FakeAgent first(channel_, "host1");
  ASSERT_TRUE(first.Hello({"SER1"}));
  ASSERT_GE(first.WaitFor(IsHelloAck), 0);
  v1::Job job = Submit(1, /*retries=*/1);
  int ai = first.WaitFor(IsAssign);
  ASSERT_GE(ai, 0);
  v1::RunAssignment a = first.At(ai).assign();
  // The old stream is still open (half-open, as after a cut the server has not noticed).
  FakeAgent second(channel_, "host1");
  v1::ActiveRun held;
  held.set_run_id(a.run_id());
  held.set_attempt(a.attempt());
  ASSERT_TRUE(second.Hello({"SER1"}, {held}));
  ASSERT_GE(second.WaitFor(IsHelloAck), 0) << "the redial must not be refused as a duplicate";
  ASSERT_TRUE(first.WaitClosed());
  EXPECT_EQ(first.FinishStatus().error_code(), grpc::ABORTED);
  Complete(second, a, 1300);
  v1::GetJobResponse got = GetJob(job.job_id());
  EXPECT_EQ(got.runs(0).state(), v1::RUN_STATE_DONE);
  EXPECT_EQ(got.runs(0).attempt(), 1);
  EXPECT_EQ(got.runs(0).metrics().avg_us(), 1300);
  // The replaced session ending later costs the new one nothing.
  absl::SleepFor(absl::Milliseconds(1500));  // past the 1 s agent grace
  v1::Job next = Submit();
  EXPECT_GE(second.WaitFor(IsAssign), 0);
  (void)next;
}

TEST_F(CoordinatorTest, MissingBadOrTooWeakTokensAreRefused) {
  v1::ListDevicesRequest req;
  v1::ListDevicesResponse resp;
  {
    grpc::ClientContext ctx;
    Auth(&ctx, "");
    EXPECT_EQ(lab_->ListDevices(&ctx, req, &resp).error_code(), grpc::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    Auth(&ctx, "t-wrong");
    EXPECT_EQ(lab_->ListDevices(&ctx, req, &resp).error_code(), grpc::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext ctx;
    Auth(&ctx, "t-read");
    EXPECT_TRUE(lab_->ListDevices(&ctx, req, &resp).ok());
  }
  {
    grpc::ClientContext ctx;
    Auth(&ctx, "t-read");
    v1::SubmitJobRequest sreq;
    v1::SubmitJobResponse sresp;
    EXPECT_EQ(lab_->SubmitJob(&ctx, sreq, &sresp).error_code(), grpc::PERMISSION_DENIED);
  }
  v1::UploadArtifactResponse up;
  EXPECT_EQ(Upload("abc", v1::ARTIFACT_KIND_MODEL, &up, "t-read").error_code(), grpc::PERMISSION_DENIED);
}

// Bytes that are no protobuf message of the method's type, sent raw.
grpc::ByteBuffer Garbage() {
  static const char kBytes[] = "\xff\xff\xff\xff\x0f not a protobuf message \x08";
  grpc::Slice slice(kBytes, sizeof(kBytes) - 1);
  return grpc::ByteBuffer(&slice, 1);
}

TEST_F(CoordinatorTest, MalformedMessagesAreRefusedAndTheServerKeepsServing) {
  grpc::GenericStub generic(channel_);
  // A unary call.
  {
    grpc::ClientContext ctx;
    Auth(&ctx);
    grpc::ByteBuffer request = Garbage(), response;
    absl::Notification done;
    grpc::Status status;
    generic.UnaryCall(&ctx, "/benchlab.v1.Lab/SubmitJob", grpc::StubOptions(), &request, &response,
                      [&](grpc::Status s) {
                        status = std::move(s);
                        done.Notify();
                      });
    ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
    EXPECT_FALSE(status.ok());
    EXPECT_NE(status.error_code(), grpc::UNAVAILABLE) << "refused, not crashed: " << status.error_message();
  }
  // The agents' stream: garbage where the hello should be.
  {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    grpc::CompletionQueue cq;
    auto call = generic.PrepareCall(&ctx, "/benchlab.v1.AgentLink/Connect", &cq);
    void* tag = nullptr;
    bool ok = false;
    call->StartCall(reinterpret_cast<void*>(1));
    ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
    call->Write(Garbage(), reinterpret_cast<void*>(2));
    ASSERT_TRUE(cq.Next(&tag, &ok));
    grpc::Status status;
    call->Finish(&status, reinterpret_cast<void*>(3));
    while (cq.Next(&tag, &ok) && tag != reinterpret_cast<void*>(3)) {
    }
    EXPECT_FALSE(status.ok());
    EXPECT_NE(status.error_code(), grpc::UNAVAILABLE) << status.error_message();
    cq.Shutdown();
    while (cq.Next(&tag, &ok)) {
    }
  }
  // Still serving, and nothing was created.
  grpc::ClientContext ctx;
  Auth(&ctx);
  v1::ListJobsRequest req;
  v1::ListJobsResponse jobs;
  ASSERT_TRUE(lab_->ListJobs(&ctx, req, &jobs).ok());
  EXPECT_EQ(jobs.jobs_size(), 0);
}

TEST_F(CoordinatorTest, UploadsAreVerifiedDeduplicatedAndLimited) {
  v1::UploadArtifactResponse r;
  ASSERT_TRUE(Upload("model", v1::ARTIFACT_KIND_MODEL, &r).ok());
  EXPECT_FALSE(r.deduplicated());
  ASSERT_TRUE(Upload("model", v1::ARTIFACT_KIND_MODEL, &r).ok());
  EXPECT_TRUE(r.deduplicated());
  // A client asks first and uploads only what the coordinator lacks.
  {
    grpc::ClientContext ctx;
    Auth(&ctx);
    v1::GetArtifactRequest req;
    req.set_sha256(Sha256Hex("model"));
    v1::GetArtifactResponse got;
    ASSERT_TRUE(lab_->GetArtifact(&ctx, req, &got).ok());
    EXPECT_EQ(got.artifact().size_bytes(), 5);
    EXPECT_EQ(got.artifact().kind(), v1::ARTIFACT_KIND_MODEL);
    grpc::ClientContext ctx2;
    Auth(&ctx2);
    req.set_sha256(Sha256Hex("never uploaded"));
    EXPECT_EQ(lab_->GetArtifact(&ctx2, req, &got).error_code(), grpc::NOT_FOUND);
  }
  // Declared too large for the 64 KiB limit of this server.
  EXPECT_EQ(Upload(std::string(100 * 1024, 'x'), v1::ARTIFACT_KIND_MODEL, &r).error_code(),
            grpc::RESOURCE_EXHAUSTED);
  // Declares a small size, then sends more.
  EXPECT_EQ(Upload(std::string(4096, 'y'), v1::ARTIFACT_KIND_MODEL, &r, "t-admin", 100).error_code(),
            grpc::RESOURCE_EXHAUSTED);
  // One message over the 1 MiB message limit.
  {
    grpc::ClientContext ctx;
    Auth(&ctx);
    v1::UploadArtifactResponse resp;
    auto w = lab_->UploadArtifact(&ctx, &resp);
    v1::UploadArtifactRequest c;
    c.set_chunk(std::string(2 << 20, 'z'));
    (void)w->Write(c);
    w->WritesDone();
    EXPECT_EQ(w->Finish().error_code(), grpc::RESOURCE_EXHAUSTED);
  }
}

TEST_F(CoordinatorTest, AgentThatVanishesMidRunHasTheRunRetried) {
  v1::RunAssignment first;
  {
    FakeAgent agent(channel_, "host1");
    ASSERT_TRUE(agent.Hello({"SER1"}));
    Submit(1, /*retries=*/1);
    int ai = agent.WaitFor(IsAssign);
    ASSERT_GE(ai, 0);
    first = agent.At(ai).assign();
  }  // stream cancelled
  // The coordinator notices the cut asynchronously; until then the identity is still
  // taken, so a quick redial may be refused once (as a real agent's would) and retried.
  std::unique_ptr<FakeAgent> redial;
  for (int i = 0; i < 50; ++i) {
    redial = std::make_unique<FakeAgent>(channel_, "host1");
    ASSERT_TRUE(redial->Hello({"SER1"}));
    if (redial->WaitFor(IsHelloAck) >= 0) break;
    redial.reset();
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_NE(redial, nullptr);
  FakeAgent& again = *redial;
  int ai = again.WaitFor(IsAssign);
  ASSERT_GE(ai, 0);
  EXPECT_EQ(again.At(ai).assign().run_id(), first.run_id());
  EXPECT_EQ(again.At(ai).assign().attempt(), 2);
}

// Redials until the coordinator has noticed the old session is gone.
std::unique_ptr<FakeAgent> Redial(std::shared_ptr<grpc::Channel> channel, const std::string& id,
                                  const std::vector<v1::ActiveRun>& active) {
  for (int i = 0; i < 50; ++i) {
    auto agent = std::make_unique<FakeAgent>(channel, id);
    if (agent->Hello({"SER1"}, active) && agent->WaitFor(IsHelloAck) >= 0) return agent;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return nullptr;
}

TEST_F(CoordinatorTest, AgentThatRedialsWithinTheGraceKeepsItsRun) {
  v1::RunAssignment a;
  v1::Job job;
  {
    FakeAgent agent(channel_, "host1");
    ASSERT_TRUE(agent.Hello({"SER1"}));
    ASSERT_GE(agent.WaitFor(IsHelloAck), 0);
    job = Submit(1, /*retries=*/1);
    int ai = agent.WaitFor(IsAssign);
    ASSERT_GE(ai, 0);
    a = agent.At(ai).assign();
  }  // a network blip
  v1::ActiveRun held;
  held.set_run_id(a.run_id());
  held.set_attempt(a.attempt());
  auto again = Redial(channel_, "host1", {held});
  ASSERT_NE(again, nullptr);
  Complete(*again, a, 1200);
  v1::GetJobResponse got = GetJob(job.job_id());
  ASSERT_EQ(got.runs_size(), 1);
  EXPECT_EQ(got.runs(0).state(), v1::RUN_STATE_DONE);
  EXPECT_EQ(got.runs(0).attempt(), 1) << "not retried: the agent kept running it";
}

TEST_F(CoordinatorTest, AgentGoneLongerThanTheGraceHasItsRunRequeued) {
  v1::Job job;
  {
    FakeAgent agent(channel_, "host1");
    ASSERT_TRUE(agent.Hello({"SER1"}));
    ASSERT_GE(agent.WaitFor(IsHelloAck), 0);
    job = Submit(1, /*retries=*/1);
    ASSERT_GE(agent.WaitFor(IsAssign), 0);
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  v1::GetJobResponse got = GetJob(job.job_id());
  while (got.runs(0).attempt() < 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
    got = GetJob(job.job_id());
  }
  EXPECT_EQ(got.runs(0).attempt(), 2);
  EXPECT_EQ(got.runs(0).state(), v1::RUN_STATE_QUEUED);
  EXPECT_TRUE(absl::StrContains(got.runs(0).error_message(), "did not come back"))
      << got.runs(0).error_message();
}

TEST_F(CoordinatorTest, RestartWithARunInFlightResumes) {
  v1::Job job;
  v1::RunAssignment a;
  {
    FakeAgent agent(channel_, "host1");
    ASSERT_TRUE(agent.Hello({"SER1"}));
    job = Submit();
    int ai = agent.WaitFor(IsAssign);
    ASSERT_GE(ai, 0);
    a = agent.At(ai).assign();
    ASSERT_TRUE(agent.Event("e-run", a.run_id(), a.attempt(), [](auto* e) { e->set_state(v1::RUN_STATE_RUNNING); }));
    ASSERT_GE(agent.WaitFor(IsAckOf("e-run")), 0);
    StopServer();
    agent.WaitClosed();
  }
  StartServer();  // same data dir
  EXPECT_EQ(GetJob(job.job_id()).runs(0).state(), v1::RUN_STATE_RUNNING);
  FakeAgent agent(channel_, "host1");
  v1::ActiveRun active;
  active.set_run_id(a.run_id());
  active.set_attempt(a.attempt());
  ASSERT_TRUE(agent.Hello({"SER1"}, {active}));
  ASSERT_GE(agent.WaitFor(IsHelloAck), 0);
  // Replayed from the outbox: already applied before the restart.
  ASSERT_TRUE(agent.Event("e-run", a.run_id(), a.attempt(), [](auto* e) { e->set_state(v1::RUN_STATE_RUNNING); }));
  ASSERT_TRUE(agent.Event("e-done", a.run_id(), a.attempt(), [](auto* e) {
    e->mutable_result()->set_state(v1::RUN_STATE_DONE);
    e->mutable_result()->mutable_metrics()->set_avg_us(42);
  }));
  ASSERT_GE(agent.WaitFor(IsAckOf("e-done")), 0);
  auto got = GetJob(job.job_id());
  EXPECT_EQ(got.runs(0).state(), v1::RUN_STATE_DONE);
  EXPECT_EQ(got.runs(0).attempt(), 1);
  EXPECT_EQ(got.job().runs_done(), 1);
  EXPECT_EQ(agent.Count(IsAssign), 0);  // not re-run
}

TEST_F(CoordinatorTest, StreamLogsDeliversFilteredBatches) {
  FakeAgent agent(channel_, "host1");
  ASSERT_TRUE(agent.Hello({"SER1"}));
  ASSERT_GE(agent.WaitFor(IsHelloAck), 0);
  grpc::ClientContext ctx;
  Auth(&ctx, "t-read");
  v1::StreamLogsRequest req;
  req.set_device_id("host1/SER1");
  req.set_regex("^keep");
  auto logs = lab_->StreamLogs(&ctx, req);
  // The coordinator asks the agent to start streaming that phone.
  ASSERT_GE(agent.WaitFor([](const auto& m) { return m.has_log_subscription() && m.log_subscription().enable(); }), 0);
  v1::AgentMessage m;
  m.mutable_logs()->set_device_id("SER1");
  m.mutable_logs()->add_lines()->set_message("drop me");
  m.mutable_logs()->add_lines()->set_message("keep me");
  ASSERT_TRUE(agent.Send(m));
  v1::LogBatch b;
  ASSERT_TRUE(logs->Read(&b));
  ASSERT_EQ(b.lines_size(), 1);
  EXPECT_EQ(b.lines(0).message(), "keep me");
  EXPECT_EQ(b.device_id(), "host1/SER1");
  ctx.TryCancel();
  (void)logs->Finish();
  EXPECT_GE(agent.WaitFor([](const auto& m) { return m.has_log_subscription() && !m.log_subscription().enable(); }), 0);

  // backlog_only: the buffered lines, then the stream ends by itself.
  grpc::ClientContext ctx2;
  Auth(&ctx2, "t-read");
  ctx2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  req.set_tail_lines(10);
  req.set_backlog_only(true);
  auto backlog = lab_->StreamLogs(&ctx2, req);
  int lines = 0;
  while (backlog->Read(&b)) lines += b.lines_size();
  EXPECT_EQ(lines, 1);
  EXPECT_TRUE(backlog->Finish().ok());
}

TEST_F(CoordinatorTest, AgentThatReconnectsIsAskedAgainForSubscribedLogs) {
  grpc::ClientContext ctx;
  Auth(&ctx, "t-read");
  v1::StreamLogsRequest req;
  req.set_device_id("host1/SER1");
  {
    FakeAgent first(channel_, "host1");
    ASSERT_TRUE(first.Hello({"SER1"}));
    ASSERT_GE(first.WaitFor(IsHelloAck), 0);
  }
  auto logs = lab_->StreamLogs(&ctx, req);  // the phone is known, its agent is away
  absl::SleepFor(absl::Milliseconds(200));
  std::unique_ptr<FakeAgent> agent;
  for (int i = 0; i < 50 && agent == nullptr; ++i) {
    agent = std::make_unique<FakeAgent>(channel_, "host1");
    ASSERT_TRUE(agent->Hello({"SER1"}));
    if (agent->WaitFor(IsHelloAck) < 0) {
      agent.reset();
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  ASSERT_NE(agent, nullptr);
  EXPECT_TRUE(agent->At(0).has_hello_ack());  // the ack always comes first
  EXPECT_GE(agent->WaitFor([](const auto& m) { return m.has_log_subscription() && m.log_subscription().enable(); }), 0);
  ctx.TryCancel();
  (void)logs->Finish();
}

TEST_F(CoordinatorTest, ListDevicesShowsBusyPhoneAndItsQueue) {
  FakeAgent agent(channel_, "host1");
  ASSERT_TRUE(agent.Hello({"SER1"}));
  v1::Job job = Submit(/*repeats=*/3);
  ASSERT_GE(agent.WaitFor(IsAssign), 0);
  grpc::ClientContext ctx;
  Auth(&ctx, "t-read");
  v1::ListDevicesRequest req;
  v1::ListDevicesResponse resp;
  ASSERT_TRUE(lab_->ListDevices(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.devices_size(), 1);
  const auto& d = resp.devices(0);
  EXPECT_EQ(d.info().device_id(), "host1/SER1");
  EXPECT_EQ(d.state(), v1::DEVICE_STATE_BUSY);
  EXPECT_EQ(d.current_run_id(), job.job_id() + ".0.0");
  EXPECT_EQ(d.queue_length(), 2);
  EXPECT_EQ(d.queued_run_ids(0), job.job_id() + ".0.1");
}

TEST_F(CoordinatorTest, CancelJobStopsTheRunOnThePhoneAndCancelsTheRest) {
  FakeAgent agent(channel_, "host1");
  ASSERT_TRUE(agent.Hello({"SER1"}));
  v1::Job job = Submit(/*repeats=*/2);
  int ai = agent.WaitFor(IsAssign);
  ASSERT_GE(ai, 0);
  v1::CancelJobResponse resp;
  ASSERT_TRUE(Cancel(job.job_id(), &resp).ok());
  EXPECT_EQ(resp.job().runs_cancelled(), 2);
  EXPECT_NE(resp.job().finished_unix_ms(), 0);
  int ci = agent.WaitFor([](const auto& m) { return m.has_cancel(); });
  ASSERT_GE(ci, 0);
  EXPECT_EQ(agent.At(ci).cancel().run_id(), agent.At(ai).assign().run_id());
  // The phone is free again once the agent reports the cancelled attempt final.
  Submit();
  Result(agent, agent.At(ai).assign().run_id(), 1, v1::RUN_STATE_CANCELLED);
  EXPECT_GE(agent.WaitFor(IsAssign, ai + 1), 0);
}

// Seen: a cancel freed the phone at once, while the agent was still winding the old
// attempt down, so the next run started beside it. Loops cancel-then-next-run.
TEST_F(CoordinatorTest, CancelledRunHoldsThePhoneUntilTheAgentReportsItFinal) {
  FakeAgent agent(channel_, "host1");
  ASSERT_TRUE(agent.Hello({"SER1"}));
  ASSERT_GE(agent.WaitFor(IsHelloAck), 0);
  int from = 0;
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE(absl::StrCat("round ", i));
    v1::Job long_job = Submit();
    int ai = agent.WaitFor(IsAssign, from);
    ASSERT_GE(ai, 0);
    v1::RunAssignment cancelled = agent.At(ai).assign();
    v1::CancelJobResponse resp;
    ASSERT_TRUE(Cancel(long_job.job_id(), &resp).ok());
    EXPECT_EQ(GetJob(long_job.job_id()).runs(0).state(), v1::RUN_STATE_CANCELLED) << "users see it at once";
    v1::Job next = Submit();
    // The old attempt is still winding down on the phone: nothing may start beside it.
    EXPECT_LT(agent.WaitFor(IsAssign, ai + 1, absl::Milliseconds(300)), 0) << "phone re-leased before the result";
    grpc::ClientContext dctx;
    Auth(&dctx, "t-read");
    v1::ListDevicesResponse devices;
    ASSERT_TRUE(lab_->ListDevices(&dctx, v1::ListDevicesRequest(), &devices).ok());
    EXPECT_EQ(devices.devices(0).state(), v1::DEVICE_STATE_BUSY);
    EXPECT_EQ(devices.devices(0).current_run_id(), cancelled.run_id());
    Result(agent, cancelled.run_id(), cancelled.attempt(), v1::RUN_STATE_CANCELLED);
    int ni = agent.WaitFor(IsAssign, ai + 1);
    ASSERT_GE(ni, 0);
    EXPECT_EQ(agent.At(ni).assign().job_id(), next.job_id());
    Complete(agent, agent.At(ni).assign(), 900 + i);
    v1::GetJobResponse got = GetJob(next.job_id());
    EXPECT_EQ(got.runs(0).state(), v1::RUN_STATE_DONE);
    EXPECT_EQ(got.runs(0).metrics().avg_us(), 900 + i);
    from = ni + 1;
  }
}

// Seen: cancelling a finished job marked it cancelled.
TEST_F(CoordinatorTest, CancellingAFinishedJobChangesNothing) {
  FakeAgent agent(channel_, "host1");
  ASSERT_TRUE(agent.Hello({"SER1"}));
  v1::Job job = Submit();
  int ai = agent.WaitFor(IsAssign);
  ASSERT_GE(ai, 0);
  Complete(agent, agent.At(ai).assign(), 700);
  v1::CancelJobResponse resp;
  grpc::Status st = Cancel(job.job_id(), &resp);
  EXPECT_EQ(st.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(st.error_message(), "nothing to cancel")) << st.error_message();
  v1::GetJobResponse got = GetJob(job.job_id());
  EXPECT_FALSE(got.job().cancelled());
  EXPECT_EQ(got.job().runs_done(), 1);
  EXPECT_EQ(got.runs(0).state(), v1::RUN_STATE_DONE);
}

// Seen: a device_lost retry ran at once on the phone the coordinator still believed
// online (the agent debounces the loss), spending every retry in milliseconds.
TEST_F(CoordinatorTest, DeviceLostRetryWaitsForThePhoneToComeBack) {
  FakeAgent agent(channel_, "host1");
  ASSERT_TRUE(agent.Hello({"SER1"}));
  v1::Job job = Submit(1, /*retries=*/2);
  int ai = agent.WaitFor(IsAssign);
  ASSERT_GE(ai, 0);
  v1::RunAssignment a = agent.At(ai).assign();
  Result(agent, a.run_id(), a.attempt(), v1::RUN_STATE_FAILED, v1::ERROR_CLASS_DEVICE_LOST);
  EXPECT_LT(agent.WaitFor(IsAssign, ai + 1, absl::Milliseconds(500)), 0) << "retried at once";
  SetAdbState(agent, "SER1", "offline");  // the agent's debounce ends
  EXPECT_LT(agent.WaitFor(IsAssign, ai + 1, kRetryBackoffFirst + absl::Seconds(1)), 0)
      << "retried on an offline phone";
  SetAdbState(agent, "SER1", "device");
  int ri = agent.WaitFor(IsAssign, ai + 1);
  ASSERT_GE(ri, 0);
  EXPECT_EQ(agent.At(ri).assign().attempt(), 2);
  Complete(agent, agent.At(ri).assign(), 800);
  EXPECT_EQ(GetJob(job.job_id()).runs(0).state(), v1::RUN_STATE_DONE);
}

// Seen: two agents on one adb server registered the same phones twice.
TEST_F(CoordinatorTest, APhoneAlreadyRegisteredByAnotherAgentIsRefused) {
  FakeAgent first(channel_, "host1");
  ASSERT_TRUE(first.Hello({"R58M123ABC", "127.0.0.1:7001"}));
  ASSERT_GE(first.WaitFor(IsHelloAck), 0);
  FakeAgent second(channel_, "host2");  // the same adb server: the same USB phone
  ASSERT_TRUE(second.Hello({"R58M123ABC", "127.0.0.1:7001"}));
  ASSERT_GE(second.WaitFor(IsHelloAck), 0);
  grpc::ClientContext ctx;
  Auth(&ctx, "t-read");
  v1::ListDevicesResponse resp;
  ASSERT_TRUE(lab_->ListDevices(&ctx, v1::ListDevicesRequest(), &resp).ok());
  std::map<std::string, v1::Device> by_id;
  for (const auto& d : resp.devices()) by_id[d.info().device_id()] = d;
  ASSERT_EQ(by_id.size(), 4u);
  EXPECT_EQ(by_id["host1/R58M123ABC"].state(), v1::DEVICE_STATE_IDLE);
  EXPECT_EQ(by_id["host2/R58M123ABC"].state(), v1::DEVICE_STATE_OFFLINE);
  EXPECT_TRUE(absl::StrContains(by_id["host2/R58M123ABC"].refused_reason(), "host1/R58M123ABC"))
      << by_id["host2/R58M123ABC"].refused_reason();
  EXPECT_EQ(by_id["host2/R58M123ABC"].info().adb_state(), "device") << "what the agent said is kept";
  // A TCP serial names a different phone on each host: both stay.
  EXPECT_EQ(by_id["host2/127.0.0.1:7001"].state(), v1::DEVICE_STATE_IDLE);
  EXPECT_TRUE(by_id["host2/127.0.0.1:7001"].refused_reason().empty());
  // ro.serialno says it is one phone even behind TCP serials.
  v1::AgentMessage m;
  auto* d = m.mutable_device_update()->mutable_device();
  d->set_serial("127.0.0.1:7002");
  d->set_adb_state("device");
  (*d->mutable_properties())["ro.serialno"] = "2A1ABCDEF01";
  ASSERT_TRUE(first.Send(m));
  // The two agents' streams are independent: the coordinator may apply them in
  // either order (seen in CI). Send the second only once the first is known.
  bool first_known = false;
  for (absl::Time end = absl::Now() + absl::Seconds(5); absl::Now() < end && !first_known;) {
    grpc::ClientContext c;
    Auth(&c, "t-read");
    v1::ListDevicesRequest req;
    req.add_agents("host1");
    v1::ListDevicesResponse r;
    ASSERT_TRUE(lab_->ListDevices(&c, req, &r).ok());
    for (const auto& dev : r.devices()) {
      if (dev.info().device_id() == "host1/127.0.0.1:7002") first_known = true;
    }
    if (!first_known) absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(first_known);
  d->set_serial("127.0.0.1:7003");
  ASSERT_TRUE(second.Send(m));
  v1::Device refused;
  for (absl::Time end = absl::Now() + absl::Seconds(5); absl::Now() < end;) {
    grpc::ClientContext c;
    Auth(&c, "t-read");
    v1::ListDevicesRequest req;
    req.add_agents("host2");
    v1::ListDevicesResponse r;
    ASSERT_TRUE(lab_->ListDevices(&c, req, &r).ok());
    for (const auto& dev : r.devices()) {
      if (dev.info().device_id() == "host2/127.0.0.1:7003") refused = dev;
    }
    if (!refused.refused_reason().empty()) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(absl::StrContains(refused.refused_reason(), "host1/127.0.0.1:7002")) << refused.refused_reason();
  EXPECT_EQ(refused.state(), v1::DEVICE_STATE_OFFLINE);
}

// Seen: runs queued on an offline phone waited forever.
TEST_F(CoordinatorTest, RunsOnOfflinePhonesWaitUpToTheQueueTimeoutOrAreSkipped) {
  FakeAgent agent(channel_, "host1");
  ASSERT_TRUE(agent.Hello({"SER1", "SER2"}));
  ASSERT_GE(agent.WaitFor(IsHelloAck), 0);
  SetAdbState(agent, "SER2", "offline");
  v1::UploadArtifactResponse m, ap;
  ASSERT_TRUE(Upload("model bytes", v1::ARTIFACT_KIND_MODEL, &m).ok());
  ASSERT_TRUE(Upload("apk bytes", v1::ARTIFACT_KIND_APK, &ap).ok());
  auto submit = [&](bool skip_offline, int queue_timeout_s, v1::SubmitJobResponse* resp) {
    grpc::ClientContext ctx;
    Auth(&ctx);
    v1::SubmitJobRequest req;
    req.mutable_spec()->set_model_sha256(m.artifact().sha256());
    req.mutable_spec()->set_apk_sha256(ap.artifact().sha256());
    req.mutable_spec()->mutable_selector()->set_all(true);
    req.mutable_spec()->mutable_selector()->set_skip_offline(skip_offline);
    req.mutable_spec()->set_queue_timeout_s(queue_timeout_s);
    return lab_->SubmitJob(&ctx, req, resp);
  };
  // Poll until the coordinator has applied the update (it arrives on the agent stream).
  v1::SubmitJobResponse skipped;
  for (absl::Time end = absl::Now() + absl::Seconds(5); absl::Now() < end;) {
    skipped = v1::SubmitJobResponse();
    ASSERT_TRUE(submit(true, 0, &skipped).ok());
    if (skipped.job().device_ids_size() == 1) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(skipped.job().device_ids_size(), 1);
  EXPECT_EQ(skipped.job().device_ids(0), "host1/SER1");
  EXPECT_EQ(skipped.offline_device_ids_size(), 0);
  EXPECT_EQ(skipped.job().spec().queue_timeout_s(), 1800) << "the lab default is written into the job";

  v1::SubmitJobResponse kept;
  ASSERT_TRUE(submit(false, 1, &kept).ok());
  ASSERT_EQ(kept.job().device_ids_size(), 2);
  ASSERT_EQ(kept.offline_device_ids_size(), 1);
  EXPECT_EQ(kept.offline_device_ids(0), "host1/SER2");
  const std::string waiting = kept.job().job_id() + ".1.0";
  v1::GetJobResponse got;
  for (absl::Time end = absl::Now() + absl::Seconds(10); absl::Now() < end;) {
    got = GetJob(kept.job().job_id());
    if (got.runs(1).state() != v1::RUN_STATE_QUEUED) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_EQ(got.runs(1).run_id(), waiting);
  EXPECT_EQ(got.runs(1).state(), v1::RUN_STATE_FAILED);
  EXPECT_EQ(got.runs(1).error_class(), v1::ERROR_CLASS_QUEUE_TIMED_OUT);
  EXPECT_TRUE(absl::StrContains(got.runs(1).error_message(), "host1/SER2")) << got.runs(1).error_message();

  SetAdbState(agent, "SER1", "offline");
  v1::SubmitJobResponse none;
  for (absl::Time end = absl::Now() + absl::Seconds(5); absl::Now() < end;) {
    grpc::Status st = submit(true, 0, &none);
    if (!st.ok()) {
      EXPECT_EQ(st.error_code(), grpc::FAILED_PRECONDITION);
      EXPECT_TRUE(absl::StrContains(st.error_message(), "no online device")) << st.error_message();
      return;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  ADD_FAILURE() << "a selector of offline phones only was accepted with skip_offline";
}

TEST_F(CoordinatorTest, RunWithoutResultTimesOutAndIsRetried) {
  FakeAgent agent(channel_, "host1");
  ASSERT_TRUE(agent.Hello({"SER1"}));
  v1::Job job = Submit(1, /*retries=*/1, /*timeout_s=*/1);
  int first = agent.WaitFor(IsAssign);
  ASSERT_GE(first, 0);
  ASSERT_GE(agent.WaitFor([](const auto& m) { return m.has_cancel(); }, 0, absl::Seconds(5)), 0);
  EXPECT_EQ(GetJob(job.job_id()).runs(0).attempt(), 2) << "users see the timeout at once";
  // Attempt 1 is still winding down on the phone: its retry waits for its result.
  EXPECT_LT(agent.WaitFor(IsAssign, first + 1, kRetryBackoffFirst + absl::Milliseconds(500)), 0);
  Result(agent, agent.At(first).assign().run_id(), 1, v1::RUN_STATE_CANCELLED);
  int second = agent.WaitFor(IsAssign, first + 1, absl::Seconds(5));
  ASSERT_GE(second, 0);
  EXPECT_EQ(agent.At(second).assign().attempt(), 2);
  ASSERT_GE(agent.WaitFor([](const auto& m) { return m.has_cancel() && m.cancel().attempt() == 2; }, 0,
                          absl::Seconds(5)), 0);
  absl::SleepFor(absl::Milliseconds(200));
  auto got = GetJob(job.job_id());
  EXPECT_EQ(got.runs(0).state(), v1::RUN_STATE_FAILED);
  EXPECT_EQ(got.runs(0).error_class(), v1::ERROR_CLASS_TIMED_OUT);
}

TEST_F(CoordinatorTest, ListJobsPagesNewestFirst) {
  FakeAgent agent(channel_, "host1");
  ASSERT_TRUE(agent.Hello({"SER1"}));
  ASSERT_GE(agent.WaitFor(IsHelloAck), 0);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(Submit().job_id());
  int pages = 0;
  std::vector<std::string> listed = ListAllJobs(2, &pages);
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(listed, (std::vector<std::string>{ids[2], ids[1], ids[0]}));
}

// Job descriptions are bounded and a ListJobs page ends at a byte budget too: 300 jobs
// with the longest description a job may have (~1.3 MB) do not fit one message of this
// server (1 MB), so they come in pages, and every job is listed once.
TEST_F(CoordinatorTest, ListJobsPagesBySizeAndDescriptionsAreBounded) {
  FakeAgent agent(channel_, "host1");
  ASSERT_TRUE(agent.Hello({"SER1"}));
  ASSERT_GE(agent.WaitFor(IsHelloAck), 0);
  {
    v1::UploadArtifactResponse m, a;
    ASSERT_TRUE(Upload("model bytes", v1::ARTIFACT_KIND_MODEL, &m).ok());
    grpc::ClientContext ctx;
    Auth(&ctx);
    v1::SubmitJobRequest req;
    req.mutable_spec()->set_description(std::string(4097, 'd'));
    req.mutable_spec()->mutable_selector()->set_all(true);
    v1::SubmitJobResponse resp;
    grpc::Status st = lab_->SubmitJob(&ctx, req, &resp);
    EXPECT_EQ(st.error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_EQ(st.error_message(), "description is 4097 bytes; at most 4096");
  }
  std::set<std::string> submitted;
  for (int i = 0; i < 300; ++i) {
    submitted.insert(Submit(1, 0, 0, std::string(4096, static_cast<char>('a' + i % 26))).job_id());
  }
  ASSERT_EQ(submitted.size(), 300u);
  int pages = 0;
  std::vector<std::string> ids = ListAllJobs(500, &pages);
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(ids.size(), submitted.size());
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), submitted);
}

// Results larger than one message: 40 runs with 100 KB of raw log each (4 MB, more than
// this server's 1 MB message limit) come in GetResults pages of at most 1 MB,
// every run exactly once, in order, each with its whole log; the aggregates on the first.
TEST_F(CoordinatorTest, GetResultsPagesALargeJobWithNoRunLostOrRepeated) {
  FakeAgent agent(channel_, "host1");
  ASSERT_TRUE(agent.Hello({"SER1", "SER2"}));
  ASSERT_GE(agent.WaitFor(IsHelloAck), 0);
  v1::Job job = Submit(/*repeats=*/20);
  ASSERT_EQ(job.runs_total(), 40);
  const std::string line(99, 'x');
  size_t from = 0;
  for (int n = 0; n < 40; ++n) {
    int ai = agent.WaitFor(IsAssign, from);
    ASSERT_GE(ai, 0) << "assignment " << n;
    from = ai + 1;
    v1::RunAssignment a = agent.At(ai).assign();
    std::string p = absl::StrCat(a.run_id(), "/", a.attempt(), "/");
    ASSERT_TRUE(agent.Event(p + "log", a.run_id(), a.attempt(), [&](auto* e) {
      for (int i = 0; i < 1000; ++i) e->mutable_raw_log()->add_lines(absl::StrCat(a.run_id(), " ", i, " ", line));
    }));
    ASSERT_TRUE(agent.Event(p + "done", a.run_id(), a.attempt(), [](auto* e) {
      e->mutable_result()->set_state(v1::RUN_STATE_DONE);
      e->mutable_result()->mutable_metrics()->set_avg_us(1000);
    }));
    ASSERT_GE(agent.WaitFor(IsAckOf(p + "done"), from), 0);
  }
  std::vector<std::string> ids;
  auto pages = ResultsPages(job.job_id(), /*raw_log=*/true);
  for (size_t p = 0; p < pages.size(); ++p) {
    const v1::GetResultsResponse& resp = pages[p];
    // At most 1 MB (this server's message limit): the page stops before the run that would pass it.
    EXPECT_LE(resp.ByteSizeLong(), size_t{1} << 20);
    EXPECT_GT(resp.runs_size(), 0);
    ASSERT_EQ(resp.devices_size(), p == 0 ? 2 : 0);
    if (p == 0) {
      EXPECT_EQ(resp.devices(0).runs_done(), 20);
      EXPECT_EQ(resp.devices(1).runs_done(), 20);
    }
    EXPECT_EQ(resp.job().runs_done(), 40);
    for (const auto& r : resp.runs()) {
      ids.push_back(r.run_id());
      ASSERT_EQ(r.raw_log_size(), 1000) << r.run_id();
      EXPECT_EQ(r.raw_log(999), absl::StrCat(r.run_id(), " 999 ", line));
    }
  }
  EXPECT_GE(pages.size(), 4u);
  ASSERT_EQ(ids.size(), 40u);
  std::set<std::string> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), 40u);
  for (int d = 0, i = 0; d < 2; ++d) {
    for (int rep = 0; rep < 20; ++rep, ++i) EXPECT_EQ(ids[i], absl::StrCat(job.job_id(), ".", d, ".", rep));
  }
  // A token the job never gave is refused, not read as the start.
  grpc::ClientContext ctx;
  Auth(&ctx, "t-read");
  v1::GetResultsRequest bad;
  bad.set_job_id(job.job_id());
  bad.set_page_token("40");
  v1::GetResultsResponse resp;
  EXPECT_EQ(lab_->GetResults(&ctx, bad, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// A job of 20,000 runs: its WatchJob snapshot comes in several messages of at most 1 MB
// (the first with device_ids, each but the last marked snapshot_continues) holding every
// run once; GetResults pages by page_size the same way.
TEST_F(CoordinatorTest, WatchSnapshotAndResultsOfAHugeJobComeInBoundedMessages) {
  FakeAgent agent(channel_, "host1");
  std::vector<std::string> serials;
  for (int i = 0; i < 20; ++i) serials.push_back(absl::StrCat("SER", i));
  ASSERT_TRUE(agent.Hello(serials));
  ASSERT_GE(agent.WaitFor(IsHelloAck), 0);
  v1::Job job = Submit(/*repeats=*/1000);
  ASSERT_EQ(job.runs_total(), 20000);

  grpc::ClientContext wctx;
  Auth(&wctx, "t-read");
  v1::WatchJobRequest wreq;
  wreq.set_job_id(job.job_id());
  auto stream = lab_->WatchJob(&wctx, wreq);
  std::set<std::string> seen;
  int messages = 0;
  v1::WatchJobResponse msg;
  while (stream->Read(&msg)) {
    EXPECT_LE(msg.ByteSizeLong(), size_t{1} << 20);
    EXPECT_EQ(msg.job().device_ids_size(), messages == 0 ? 20 : 0);
    EXPECT_EQ(msg.job().runs_total(), 20000);
    for (const auto& r : msg.runs()) EXPECT_TRUE(seen.insert(r.run_id()).second) << r.run_id();
    ++messages;
    if (!msg.snapshot_continues()) break;
  }
  if (messages > 0) wctx.TryCancel();  // the job goes on; the watch is done
  grpc::Status wst = stream->Finish();
  EXPECT_GE(messages, 2) << wst.error_message();
  EXPECT_EQ(seen.size(), 20000u);

  std::set<std::string> paged;
  auto pages = ResultsPages(job.job_id(), /*raw_log=*/false, /*page_size=*/3000);
  for (const auto& resp : pages) {
    EXPECT_LE(resp.runs_size(), 3000);
    for (const auto& r : resp.runs()) EXPECT_TRUE(paged.insert(r.run_id()).second) << r.run_id();
  }
  EXPECT_EQ(pages.size(), 7u);
  EXPECT_EQ(paged.size(), 20000u);
}

// An agent's name is a key and a path part: "..", a slash, control characters or 100 KB
// are refused at hello.
TEST_F(CoordinatorTest, AgentNamesThatCannotBeTrueAreRefused) {
  for (const std::string& id : {std::string(".."), std::string("a/b"), std::string(100 * 1024, 'a'),
                                std::string("host\x1b[2J")}) {
    FakeAgent agent(channel_, id);
    ASSERT_TRUE(agent.Hello({"SER1"}));
    ASSERT_TRUE(agent.WaitClosed());
    EXPECT_EQ(agent.FinishStatus().error_code(), grpc::INVALID_ARGUMENT) << id.substr(0, 20);
  }
  grpc::ClientContext ctx;
  Auth(&ctx, "t-read");
  v1::ListAgentsResponse agents;
  ASSERT_TRUE(lab_->ListAgents(&ctx, v1::ListAgentsRequest(), &agents).ok());
  EXPECT_EQ(agents.agents_size(), 0);
}

// An event the coordinator refuses for what it is (no event in it; metrics that cannot
// be true) is acknowledged, so the agent drops it from its outbox instead of replaying
// it forever; the session and the agent's other events go on.
TEST_F(CoordinatorTest, RefusedEventsAreAcknowledgedAndDoNotWedgeTheAgent) {
  FakeAgent agent(channel_, "host1");
  v1::Job job;
  v1::RunAssignment a;
  ASSERT_NO_FATAL_FAILURE(SubmitOnOnePhone(agent, &job, &a));
  ASSERT_TRUE(agent.Event("e-empty", a.run_id(), a.attempt(), [](v1::RunEvent*) {}));
  ASSERT_GE(agent.WaitFor(IsAckOf("e-empty")), 0);
  ASSERT_TRUE(agent.Event("e-partial", a.run_id(), a.attempt(), [](v1::RunEvent* e) {
    e->mutable_partial_metrics()->set_avg_us(-1);
  }));
  ASSERT_GE(agent.WaitFor(IsAckOf("e-partial")), 0);
  EXPECT_FALSE(GetJob(job.job_id()).runs(0).has_metrics());
  ASSERT_TRUE(agent.Event("e-result", a.run_id(), a.attempt(), [](v1::RunEvent* e) {
    e->mutable_result()->set_state(v1::RUN_STATE_DONE);
    e->mutable_result()->mutable_metrics()->set_avg_us(std::nan(""));
    e->mutable_result()->mutable_metrics()->set_count(50);
  }));
  ASSERT_GE(agent.WaitFor(IsAckOf("e-result")), 0);
  v1::Run run = GetJob(job.job_id()).runs(0);
  EXPECT_EQ(run.state(), v1::RUN_STATE_FAILED);
  EXPECT_EQ(run.error_class(), v1::ERROR_CLASS_INTERNAL);
  EXPECT_TRUE(absl::StrContains(run.error_message(), "avg_us is nan")) << run.error_message();
  EXPECT_FALSE(run.metrics().has_avg_us());
}

// WatchJob opened just as the job's last run ends: whichever way the race goes, the
// stream ends (OK) with the job finished. Before, a finish pushed between the snapshot
// and the reactor's first write was overwritten and the stream never ended. Watchers open
// streams back to back across the moment the result lands, so some fall in that window.
TEST_F(CoordinatorTest, WatchThatStartsAsTheJobFinishesEnds) {
  FakeAgent agent(channel_, "host1");
  ASSERT_TRUE(agent.Hello({"SER1"}));
  ASSERT_GE(agent.WaitFor(IsHelloAck), 0);
  int from = 0;
  std::atomic<int> streams{0};
  for (int round = 0; round < 30; ++round) {
    v1::Job job = Submit();
    int ai = agent.WaitFor(IsAssign, from);
    ASSERT_GE(ai, 0);
    from = ai + 1;
    v1::RunAssignment a = agent.At(ai).assign();
    std::atomic<bool> go{false};
    std::vector<std::thread> watchers;
    for (int w = 0; w < 6; ++w) {
      watchers.emplace_back([&, w] {
        while (!go) std::this_thread::yield();
        // Until a stream's first message already shows the job finished.
        for (bool started_after_finish = false; !started_after_finish;) {
          grpc::ClientContext ctx;
          Auth(&ctx, "t-read");
          ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
          v1::WatchJobRequest req;
          req.set_job_id(job.job_id());
          auto watch = lab_->WatchJob(&ctx, req);
          v1::WatchJobResponse resp;
          bool first = true, finished = false;
          while (watch->Read(&resp)) {
            finished = resp.job().finished_unix_ms() != 0;
            if (first) started_after_finish = finished;
            first = false;
          }
          grpc::Status st = watch->Finish();
          ++streams;
          if (!st.ok() || !finished) {
            ADD_FAILURE() << "round " << round << " watcher " << w << ": " << st.error_message();
            return;
          }
        }
      });
    }
    go = true;
    absl::SleepFor(absl::Milliseconds(2));
    ASSERT_TRUE(agent.Event(absl::StrCat(a.run_id(), "/", a.attempt(), "/done"), a.run_id(), a.attempt(),
                            [](v1::RunEvent* e) {
                              e->mutable_result()->set_state(v1::RUN_STATE_DONE);
                              e->mutable_result()->mutable_metrics()->set_avg_us(1000);
                            }));
    for (auto& t : watchers) t.join();
    if (HasFailure()) break;
  }
  std::cerr << streams << " WatchJob streams opened around a job's end\n";
}

// A stream refused in its constructor (no token) and cancelled by the client at once:
// Finish must happen once. Before, OnCancel finished it a second time and gRPC aborted
// the process.
TEST_F(CoordinatorTest, RefusedStreamsCancelledAtOnceAreFinishedOnce) {
  for (int i = 0; i < 300; ++i) {
    grpc::ClientContext wctx;
    Deadline(&wctx);
    v1::WatchJobRequest wreq;
    wreq.set_job_id("j000001");
    auto watch = lab_->WatchJob(&wctx, wreq);
    wctx.TryCancel();
    (void)watch->Finish();
    grpc::ClientContext lctx;
    Deadline(&lctx);
    v1::StreamLogsRequest lreq;
    lreq.set_device_id("host1/SER1");
    auto logs = lab_->StreamLogs(&lctx, lreq);
    lctx.TryCancel();
    (void)logs->Finish();
  }
  // Still serving.
  grpc::ClientContext ctx;
  Auth(&ctx, "t-read");
  v1::ListAgentsResponse agents;
  EXPECT_TRUE(lab_->ListAgents(&ctx, v1::ListAgentsRequest(), &agents).ok());
}

TEST_F(CoordinatorTest, CompareJobsFlagsAChangeBeyondNoise) {
  FakeAgent agent(channel_, "host1");
  ASSERT_TRUE(agent.Hello({"SER1"}));
  std::vector<std::string> jobs;
  int from = 0;
  for (const auto& avgs : {std::vector<double>{1000, 1010, 990}, std::vector<double>{800, 805, 795}}) {
    jobs.push_back(Submit(3).job_id());
    for (double avg : avgs) {
      int ai = agent.WaitFor(IsAssign, from);
      ASSERT_GE(ai, 0);
      from = ai + 1;
      Complete(agent, agent.At(ai).assign(), avg);
    }
  }
  grpc::ClientContext ctx;
  Auth(&ctx, "t-read");
  v1::CompareJobsRequest req;
  req.set_baseline_job_id(jobs[0]);
  req.set_candidate_job_id(jobs[1]);
  req.add_metrics("avg_us");
  v1::CompareJobsResponse resp;
  ASSERT_TRUE(lab_->CompareJobs(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.devices_size(), 1);
  ASSERT_EQ(resp.devices(0).metrics_size(), 1);
  const auto& m = resp.devices(0).metrics(0);
  EXPECT_NEAR(m.change_pct(), -20.0, 1e-9);
  EXPECT_TRUE(m.significant());
  EXPECT_EQ(m.baseline().n(), 3);
}

// GetHistory and ListRegressions through real gRPC and SQLite: read role, avg_us when a run
// has no inference_avg_us, the step found, device selectors, and the same after a restart.
TEST_F(CoordinatorTest, HistoryFindsAStepAndKeepsItAcrossARestart) {
  FakeAgent agent(channel_, "host1");
  ASSERT_TRUE(agent.Hello({"SER1"}));
  int from = 0;
  std::vector<std::string> jobs;
  for (int j = 0; j < 12; ++j) {
    jobs.push_back(Submit().job_id());
    int ai = agent.WaitFor(IsAssign, from);
    ASSERT_GE(ai, 0);
    from = ai + 1;
    Complete(agent, agent.At(ai).assign(), (j >= 6 ? 1100 : 1000) + (j % 3) * 5);
  }
  const std::string model = Sha256Hex("model bytes");
  auto history = [&](const std::string& token, const v1::DeviceSelector& sel, v1::GetHistoryResponse* resp) {
    grpc::ClientContext ctx;
    Auth(&ctx, token);
    v1::GetHistoryRequest req;
    req.set_model_sha256(model);
    *req.mutable_devices() = sel;
    return lab_->GetHistory(&ctx, req, resp);
  };
  v1::GetHistoryResponse resp;
  EXPECT_EQ(history("", {}, &resp).error_code(), grpc::UNAUTHENTICATED);
  auto check = [&] {
    v1::GetHistoryResponse r;
    ASSERT_TRUE(history("t-read", {}, &r).ok());
    ASSERT_EQ(r.series_size(), 1);
    const v1::Series& s = r.series(0);
    EXPECT_EQ(s.key().device_id(), "host1/SER1");
    EXPECT_EQ(s.key().metric(), "avg_us");
    EXPECT_EQ(s.key().flags(), "--num_threads=4");
    EXPECT_EQ(s.key().model_name(), "x");
    ASSERT_EQ(s.points_size(), 12);
    EXPECT_EQ(s.points(0).job_id(), jobs[0]);
    ASSERT_EQ(s.change_points_size(), 1);
    EXPECT_EQ(s.change_points(0).index(), 6);
    EXPECT_EQ(s.change_points(0).job_after(), jobs[6]);
    EXPECT_EQ(s.change_points(0).direction(), "slower");
    EXPECT_NEAR(s.change_points(0).change_pct(), 10, 0.6);
  };
  check();
  v1::DeviceSelector other_host, by_serial;
  other_host.add_agents("host2");
  by_serial.add_devices("SER1");
  ASSERT_TRUE(history("t-read", other_host, &resp).ok());
  EXPECT_EQ(resp.series_size(), 0);
  ASSERT_TRUE(history("t-read", by_serial, &resp).ok());
  EXPECT_EQ(resp.series_size(), 1);
  {
    grpc::ClientContext ctx;
    Auth(&ctx, "t-read");
    v1::GetHistoryRequest bad;
    bad.set_model_sha256("mobilenet.tflite");
    EXPECT_EQ(lab_->GetHistory(&ctx, bad, &resp).error_code(), grpc::INVALID_ARGUMENT);
  }
  StopServer();
  StartServer();
  check();
  grpc::ClientContext ctx;
  Auth(&ctx, "t-read");
  v1::ListRegressionsRequest req;
  v1::ListRegressionsResponse regs;
  ASSERT_TRUE(lab_->ListRegressions(&ctx, req, &regs).ok());
  ASSERT_EQ(regs.regressions_size(), 1);
  EXPECT_EQ(regs.regressions(0).change().job_before(), jobs[5]);
  EXPECT_EQ(regs.regressions(0).series().device_id(), "host1/SER1");
}

TEST(CoordinatorMetrics, PrometheusEndpointCountsAgentsAndRuns) {
  TempDir dir;
  ServerOptions o;
  o.listen = "127.0.0.1:0";
  o.data_dir = dir.path() + "/data";
  o.insecure = true;
  int port = ::benchlab::testing::FreePort();
  o.metrics_listen = absl::StrCat("127.0.0.1:", port);
  auto server = CoordinatorServer::Start(o);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()), grpc::InsecureChannelCredentials());
  FakeAgent agent(channel, "host1");
  ASSERT_TRUE(agent.Hello({"SER1", "SER2"}));
  ASSERT_GE(agent.WaitFor(IsHelloAck), 0);
  std::string page = ::benchlab::testing::HttpGet(port, "/metrics");
  EXPECT_NE(page.find("benchlab_agents_connected 1"), std::string::npos) << page;
  EXPECT_NE(page.find("benchlab_devices_online 2"), std::string::npos) << page;
  EXPECT_NE(page.find("benchlab_runs{state=\"queued\"} 0"), std::string::npos) << page;
}

}  // namespace
}  // namespace benchlab::coordinator
