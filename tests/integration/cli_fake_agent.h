// A pretend lab host for the CLI's integration tests: dials the coordinator's AgentLink
// over real gRPC, reports phones, answers every assignment at once with RunEvents that
// carry metrics (or a failure), and streams made-up logcat lines for subscribed phones.
// The minimum of coordinator_integration_test.cc's FakeAgent, plus automatic replies.
#ifndef BENCHLAB_TESTS_INTEGRATION_CLI_FAKE_AGENT_H_
#define BENCHLAB_TESTS_INTEGRATION_CLI_FAKE_AGENT_H_

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "benchlab/v1/agent_link.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace benchlab::testing {

struct CliFakeAgentOptions {
  std::string agent_id = "host1";
  std::vector<std::string> serials = {"SER1", "SER2"};
  // Runs on these serials end FAILED (app_crashed) instead of DONE.
  std::set<std::string> fail_serials;
  // Assignments are acknowledged but never finished (for cancel tests).
  bool hold_runs = false;
  // Appended to every text the agent and its phones report (host name, model, SoC,
  // error messages, raw log and logcat lines): e.g. terminal escape sequences.
  std::string hostile_text;
  // Results report metrics that cannot be true (avg_us NaN, min_us below zero).
  bool impossible_metrics = false;
  // These serials are reported offline (adb state "offline").
  std::set<std::string> offline_serials;
};

// Threads: a reader thread answers coordinator messages; a log thread sends a batch every
// 50 ms per subscribed phone. Writes to the stream are serialized by write_mu_.
class CliFakeAgent {
 public:
  // Connects, says hello and waits for hello_ack; nullptr when that fails within 10 s.
  static std::unique_ptr<CliFakeAgent> Connect(const std::string& address, CliFakeAgentOptions options);
  ~CliFakeAgent();

  // avg_us of the next finished runs (each run adds repeat * 0.1% so repeats differ a bit).
  void set_avg_us(double avg_us) { avg_us_ = avg_us; }
  int assignments() const { return assignments_; }
  int cancels() const { return cancels_; }
  // Waits until the coordinator has asked for `serial`'s logcat.
  bool WaitForLogSubscription(const std::string& serial, absl::Duration timeout);

 private:
  explicit CliFakeAgent(CliFakeAgentOptions options) : options_(std::move(options)) {}
  bool Write(const benchlab::v1::AgentMessage& message);
  void OnAssign(const benchlab::v1::RunAssignment& assign);
  void ReadLoop();
  void LogLoop();

  CliFakeAgentOptions options_;
  std::unique_ptr<benchlab::v1::AgentLink::Stub> stub_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<benchlab::v1::AgentMessage, benchlab::v1::CoordinatorMessage>> stream_;
  std::thread reader_;
  std::thread logger_;
  std::atomic<double> avg_us_{1000};
  std::atomic<int> assignments_{0};
  std::atomic<int> cancels_{0};
  std::atomic<bool> stop_{false};
  absl::Mutex write_mu_;
  absl::Mutex mu_;
  bool hello_acked_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::set<std::string> subscribed_ ABSL_GUARDED_BY(mu_);
  int event_seq_ = 0;  // used under write_mu_
};

}  // namespace benchlab::testing

#endif  // BENCHLAB_TESTS_INTEGRATION_CLI_FAKE_AGENT_H_
