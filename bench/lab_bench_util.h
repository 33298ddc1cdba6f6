// Small helpers shared by the benchmarks that drive a whole lab (LabCluster): process
// figures from /proc, artifact upload, job submit/watch through the public Lab API.
#ifndef BENCHLAB_BENCH_LAB_BENCH_UTIL_H_
#define BENCHLAB_BENCH_LAB_BENCH_UTIL_H_

#include <sys/types.h>
#include <unistd.h>

#include <dirent.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchlab/v1/lab.grpc.pb.h"
#include "common/sha256.h"
#include "grpcpp/grpcpp.h"
#include "tests/support/lab_cluster.h"

namespace benchlab::bench {

namespace v1 = benchlab::v1;

struct ProcFigures {
  double rss_mb = 0;   // VmRSS
  double hwm_mb = 0;   // VmHWM (peak RSS)
  double anon_mb = 0;  // RssAnon: the process's own heap and stacks
  double file_mb = 0;  // RssFile: mapped binary and shared libraries (shared with others)
  int threads = 0;
  double cpu_s = 0;    // utime + stime
};

inline ProcFigures ReadProc(pid_t pid) {
  ProcFigures f;
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string key;
  while (status >> key) {
    double v = 0;
    if (key == "VmRSS:" && status >> v) f.rss_mb = v / 1024;
    if (key == "VmHWM:" && status >> v) f.hwm_mb = v / 1024;
    if (key == "RssAnon:" && status >> v) f.anon_mb = v / 1024;
    if (key == "RssFile:" && status >> v) f.file_mb = v / 1024;
    if (key == "Threads:" && status >> v) f.threads = static_cast<int>(v);
    std::string rest;
    std::getline(status, rest);
  }
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string line;
  std::getline(stat, line);
  // Fields after the ")" of the command name: state is field 3, utime 14, stime 15.
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::vector<std::string> fields;
  for (std::string w; rest >> w;) fields.push_back(w);
  if (fields.size() > 12) {
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    f.cpu_s = (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
  }
  return f;
}

// A child of this process named `comm` (the kernel's 15-character name), or 0.
inline pid_t FindChild(const std::string& comm) {
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return 0;
  pid_t found = 0;
  while (dirent* e = readdir(proc)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
    std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
    std::string line;
    std::getline(stat, line);
    const size_t open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == getpid() && line.substr(open + 1, close - open - 1) == comm) {
      found = pid;
      break;
    }
  }
  closedir(proc);
  return found;
}

inline void Deadline(grpc::ClientContext* ctx, absl::Duration d = absl::Seconds(60)) {
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + d));
}

inline absl::StatusOr<v1::ArtifactRef> Upload(v1::Lab::Stub& lab, const std::string& path,
                                              v1::ArtifactKind kind) {
  return testing::LabCluster::Upload(lab, path, kind);
}

// Uploads the lab's model and APK and returns a job spec on them (2 threads); the caller
// picks the devices.
inline absl::StatusOr<v1::JobSpec> UploadAndSpec(testing::LabCluster& lab, v1::Lab::Stub& stub,
                                                 const std::string& description) {
  auto model = Upload(stub, lab.model_path(), v1::ARTIFACT_KIND_MODEL);
  if (!model.ok()) return model.status();
  auto apk = Upload(stub, lab.apk_path(), v1::ARTIFACT_KIND_APK);
  if (!apk.ok()) return apk.status();
  v1::JobSpec spec;
  spec.set_description(description);
  spec.set_model_sha256(model->sha256());
  spec.set_apk_sha256(apk->sha256());
  spec.mutable_flags()->set_num_threads(2);
  return spec;
}

inline absl::StatusOr<v1::Job> Submit(v1::Lab::Stub& lab, const v1::JobSpec& spec) {
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::SubmitJobRequest req;
  *req.mutable_spec() = spec;
  v1::SubmitJobResponse resp;
  grpc::Status s = lab.SubmitJob(&ctx, req, &resp);
  if (!s.ok()) return absl::InternalError("SubmitJob: " + s.error_message());
  return resp.job();
}

// Follows WatchJob until the job is finished; the last state of every run by run_id.
inline std::map<std::string, v1::Run> WatchUntilDone(v1::Lab::Stub& lab, const std::string& job_id,
                                                     absl::Duration timeout) {
  std::map<std::string, v1::Run> runs;
  grpc::ClientContext ctx;
  Deadline(&ctx, timeout);
  v1::WatchJobRequest req;
  req.set_job_id(job_id);
  auto reader = lab.WatchJob(&ctx, req);
  v1::WatchJobResponse msg;
  while (reader->Read(&msg)) {
    for (const v1::Run& r : msg.runs()) runs[r.run_id()] = r;
    if (msg.job().finished_unix_ms() != 0) {
      ctx.TryCancel();
      break;
    }
  }
  (void)reader->Finish();
  return runs;
}

// Sorted copy's percentile (nearest rank); 0 for an empty set.
inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size()) + 0.999999);
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

inline std::string CommandLine(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) absl::StrAppend(&s, i ? " " : "", argv[i]);
  return s;
}

}  // namespace benchlab::bench

#endif  // BENCHLAB_BENCH_LAB_BENCH_UTIL_H_
