// agent_push_bench: the agent's sync push (agent/adb) against `adb push` of the same file
// to the same simulated phone through the same private adb server, alternating, in one
// run. Prints MB/s of each and the ratio (agent / adb; the goal is >= 0.95).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/adb/adb_client.h"
#include "tests/support/adb_server.h"
#include "tests/support/paths.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace bt = benchlab::testing;

int main(int argc, char** argv) {
  int size_mb = 50;
  int repeats = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--size-mb") size_mb = std::atoi(argv[i + 1]);
    if (flag == "--repeats") repeats = std::atoi(argv[i + 1]);
  }
  const std::string devsim = bt::BinPath("benchlab-devsim");
  if (access(devsim.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "build benchlab-devsim first (%s)\n", devsim.c_str());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<bt::AdbServer>> server = bt::AdbServer::Start();
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  bt::TempDir dir;
  const int port = bt::FreePort();
  bt::SpawnOptions sim_options;
  sim_options.log_path = dir.path() + "/devsim.log";
  auto sim = bt::Subprocess::Spawn({devsim, "--port", std::to_string(port), "--count", "1",
                                    "--run-seconds", "1"}, sim_options);
  if (!sim.ok() || !bt::WaitForPort(port, absl::Seconds(10))) {
    std::fprintf(stderr, "devsim did not start\n");
    return 1;
  }
  absl::Status connected = (*server)->Connect(port);
  if (!connected.ok()) {
    std::fprintf(stderr, "%s\n", connected.ToString().c_str());
    return 1;
  }
  const std::string serial = absl::StrCat("127.0.0.1:", port);
  const std::string local = dir.path() + "/push.bin";
  std::string data(static_cast<size_t>(size_mb) << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 2654435761u) >> 11);
  if (!bt::WriteFile(local, data)) return 1;
  data.clear();
  data.shrink_to_fit();

  benchlab::adb::TcpConnectorOptions options;
  options.port = (*server)->port();
  options.start_server = false;
  benchlab::adb::AdbClient client(benchlab::adb::MakeTcpAdbConnector(options));

  std::vector<double> adb_mbps, agent_mbps, adb_self_mbps;
  const double mb = static_cast<double>(size_mb);
  for (int r = 0; r < repeats; ++r) {
    // Alternate which goes first, so neither always meets a warmer or busier phone.
    double adb_s = 0, agent_s = 0;
    bt::RunResult res;
    absl::Status s;
    for (int turn = 0; turn < 2; ++turn) {
      const absl::Time t0 = absl::Now();
      if ((turn == 0) == (r % 2 == 0)) {
        res = (*server)->Adb({"-s", serial, "push", local, "/data/local/tmp/adb.bin"},
                             absl::Seconds(120));
        adb_s = absl::ToDoubleSeconds(absl::Now() - t0);
      } else {
        s = client.Push(serial, local, "/data/local/tmp/agent.bin", absl::Now() + absl::Seconds(120));
        agent_s = absl::ToDoubleSeconds(absl::Now() - t0);
      }
    }
    if (res.exit_code != 0) {
      std::fprintf(stderr, "adb push failed: %s\n", res.output.c_str());
      return 1;
    }
    if (!s.ok()) {
      std::fprintf(stderr, "agent push failed: %s\n", s.ToString().c_str());
      return 1;
    }
    // adb prints "(N bytes in X.XXXs)": its own transfer time, without process start-up.
    double adb_self_s = 0;
    size_t in = res.output.find(" bytes in ");
    if (in != std::string::npos) adb_self_s = std::atof(res.output.c_str() + in + 10);
    adb_self_mbps.push_back(adb_self_s > 0 ? mb / adb_self_s : 0);
    adb_mbps.push_back(mb / adb_s);
    agent_mbps.push_back(mb / agent_s);
    std::printf("run %d: adb push %.1f MB/s (%.3f s wall, %.1f MB/s by its own clock)  "
                "agent push %.1f MB/s (%.3f s)\n",
                r + 1, mb / adb_s, adb_s, adb_self_mbps.back(), mb / agent_s, agent_s);
  }
  auto st = client.Stat(serial, "/data/local/tmp/agent.bin", absl::Now() + absl::Seconds(10));
  if (!st.ok() || st->size_bytes != static_cast<uint64_t>(size_mb) << 20) {
    std::fprintf(stderr, "agent.bin has the wrong size on the phone\n");
    return 1;
  }
  std::sort(adb_mbps.begin(), adb_mbps.end());
  std::sort(agent_mbps.begin(), agent_mbps.end());
  std::sort(adb_self_mbps.begin(), adb_self_mbps.end());
  const double adb_med = adb_mbps[adb_mbps.size() / 2], agent_med = agent_mbps[agent_mbps.size() / 2];
  const double self_med = adb_self_mbps[adb_self_mbps.size() / 2];
  std::printf("median of %d: adb push %.1f MB/s wall (%.1f MB/s by its own clock), agent push "
              "%.1f MB/s; ratio agent/adb %.3f wall, %.3f vs adb's own clock\n",
              repeats, adb_med, self_med, agent_med, agent_med / adb_med,
              self_med > 0 ? agent_med / self_med : 0.0);
  return 0;
}
