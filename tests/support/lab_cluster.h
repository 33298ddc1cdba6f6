// A whole lab on one machine for e2e tests: the real benchlab-coordinator (loopback,
// --insecure) and N hosts, each a DevsimLab (its own adb server and devsim phones) with
// a real benchlab-agent dialling in. Processes can be killed and restarted for real.
#ifndef BENCHLAB_TESTS_SUPPORT_LAB_CLUSTER_H_
#define BENCHLAB_TESTS_SUPPORT_LAB_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "benchlab/v1/lab.grpc.pb.h"
#include "tests/support/devsim_lab.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace benchlab::testing {

struct LabClusterOptions {
  int hosts = 2;
  int phones_per_host = 2;
  double run_seconds = 1;                  // devsim --run-seconds
  std::vector<std::string> coordinator_extra;  // more coordinator flags
  std::string coordinator_data_dir;            // default: <dir()>/coordinator
  std::vector<std::string> agent_extra;        // more benchlab-agent flags
  std::vector<std::string> devsim_extra;       // more benchlab-devsim flags, every host
  // Non-empty: the coordinator takes API tokens (<dir()>/tokens: this one, role admin)
  // and the cluster's own calls (WaitForIdleDevices, Authorize, Cli) send it.
  std::string api_token;
  // Or a bearer token for a coordinator given its own --tokens-file in coordinator_extra:
  // sent the same way (api_token wins when both are set).
  std::string token;
};

class LabCluster {
 public:
  static absl::StatusOr<std::unique_ptr<LabCluster>> Start(const LabClusterOptions& options);
  ~LabCluster();

  const std::string& dir() const { return dir_.path(); }
  std::string address() const;  // "127.0.0.1:PORT"
  int coordinator_port() const { return coordinator_port_; }
  std::string AgentName(int host) const;
  DevsimLab& host(int i) { return *hosts_[i]; }
  std::string DeviceId(int host, int phone) const;
  std::string apk_path() const { return dir_.path() + "/benchmark.apk"; }
  std::string model_path() const { return dir_.path() + "/model.tflite"; }
  // devsim's native benchmark_model of `flavor` ("tflite": the classic tool, "litert":
  // LiteRT's CompiledModel tool), made at Start, for `run --tool native|litert --binary`.
  std::string binary_path(const std::string& flavor) const {
    return dir_.path() + "/" + flavor + "_benchmark_model";
  }

  absl::Status StartCoordinator();
  absl::Status StartAgent(int host);
  Subprocess& coordinator() { return *coordinator_; }
  Subprocess& agent(int host) { return *agents_[host]; }
  // SIGKILL, then reap.
  void KillCoordinator();
  void KillAgent(int host);
  // Waits until the coordinator's ListDevices shows at least `n` idle phones.
  absl::Status WaitForIdleDevices(int n, absl::Duration timeout);
  // Adds the lab's bearer token (api_token or token, when set) to a call's metadata.
  void Authorize(grpc::ClientContext* ctx) const;
  // A Lab API stub on this coordinator.
  std::unique_ptr<benchlab::v1::Lab::Stub> Lab() const;
  // Uploads a file through `lab` (Lab.UploadArtifact, 256 KiB chunks).
  static absl::StatusOr<benchlab::v1::ArtifactRef> Upload(benchlab::v1::Lab::Stub& lab,
                                                         const std::string& path,
                                                         benchlab::v1::ArtifactKind kind);

  // Submits `spec` and follows the job (WatchJob) until it has finished; returns the job as
  // submitted (its id, runs and devices).
  absl::StatusOr<benchlab::v1::Job> SubmitAndWait(benchlab::v1::Lab::Stub& lab,
                                                  const benchlab::v1::JobSpec& spec) const;

  // Runs the built `benchlab` CLI against this lab (stdout and stderr together).
  RunResult Cli(const std::vector<std::string>& args,
                absl::Duration timeout = absl::Seconds(120)) const;

 private:
  LabCluster() = default;
  // api_token, else token ("" without either).
  const std::string& BearerToken() const { return options_.api_token.empty() ? options_.token : options_.api_token; }
  LabClusterOptions options_;
  TempDir dir_;
  int coordinator_port_ = 0;
  std::unique_ptr<Subprocess> coordinator_;
  std::vector<std::unique_ptr<DevsimLab>> hosts_;
  std::vector<std::unique_ptr<Subprocess>> agents_;
};

}  // namespace benchlab::testing

#endif  // BENCHLAB_TESTS_SUPPORT_LAB_CLUSTER_H_
