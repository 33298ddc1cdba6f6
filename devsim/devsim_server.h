// A devsim process: N simulated phones, each listening on its own loopback port like a
// phone's adbd in TCP mode, plus an optional control port for tests and demos
// (fault, unplug, plug, list, and the run conditions: temp, battery, charging, screen,
// noise, slowdown; see README.md).
//
// Threading: one accept thread per plugged phone, one thread per adb link (plus the
// service threads it starts), one thread for the control port and one per control client.
// Slot state is guarded by mu_.
#ifndef BENCHLAB_DEVSIM_DEVSIM_SERVER_H_
#define BENCHLAB_DEVSIM_DEVSIM_SERVER_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "devsim/device_connection.h"
#include "devsim/phone/android_version.h"
#include "devsim/phone/phone.h"

namespace benchlab::devsim {

struct DevsimOptions {
  int base_port = 0;
  int count = 1;
  uint64_t seed = 1;
  absl::Duration run_duration = absl::Seconds(3);
  std::string features;                 // CNXN feature list, comma-separated
  std::vector<std::pair<int, Fault>> faults;  // (phone index, fault) set at start
  // (phone index or -1 for every phone, release): the Android release a phone runs
  // instead of its catalogue entry's (its `date`, `logcat -T` and properties follow).
  std::vector<std::pair<int, AndroidRelease>> android;
  PhoneSimOptions sim;  // thermal model, noise, drift (every phone)
  // --slowdown [INDEX=]SHA256:PCT: (phone index or -1 for every phone, sha256, percent).
  struct Slowdown {
    int index = -1;
    std::string sha256;
    double pct = 0;
  };
  std::vector<Slowdown> slowdowns;
  // --cpu-topology [INDEX=]COUNTxGHZ+...: (phone index or -1 for every phone, clusters)
  // replacing the catalogue entry's CPU clusters (cpu_topology.h).
  std::vector<std::pair<int, std::vector<CpuCluster>>> cpu_topologies;
};

class DevsimServer {
 public:
  explicit DevsimServer(DevsimOptions options);
  ~DevsimServer() = delete;  // lives until the process exits (phones outlive their threads)

  // Creates the phones and starts listening on base_port .. base_port+count-1.
  absl::Status Start();
  // Serves the text control protocol on 127.0.0.1:port (a thread of its own).
  absl::Status StartControl(int port);

  // Pulls the cable: drops the phone's link and refuses new connections.
  absl::Status Unplug(int index);
  // Plugs it back: listens again (the adb server reconnects within ~10 s).
  absl::Status Plug(int index);
  absl::Status SetFault(int index, Fault fault);
  // Executes one control-protocol line; returns the reply ("ok", "error: ...", or a listing).
  std::string Control(absl::string_view line);

 private:
  struct Slot {
    int index = 0;
    int port = 0;
    std::unique_ptr<Phone> phone;
    std::string banner;
    int listen_fd = -1;
    std::thread accept_thread;
    std::set<DeviceConnection*> links;
  };
  absl::Status Listen(Slot& slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AcceptLoop(Slot* slot, int listen_fd);
  void OnLinkFault(int index, Fault fault);

  const DevsimOptions options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Slot>> slots_;  // fixed after Start()
};

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_DEVSIM_SERVER_H_
