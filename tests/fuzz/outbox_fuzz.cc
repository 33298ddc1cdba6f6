// libFuzzer: the agent link's outbox reader. Any bytes as <dir>/outbox.log must open as
// held events (a torn tail cut off) or fail with a Status (DataLoss for a corrupt record);
// never crash. What opened is then used as the agent would: listed, acked and appended to.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/statusor.h"
#include "agent/link/outbox.h"
#include "spdlog/spdlog.h"

namespace {

// One scratch directory per fuzzing process, on tmpfs when the machine has one (the
// outbox fsyncs). Never freed: the exit handler that removes it runs after static
// destructors may have run.
const std::string& ScratchDir() {
  static const std::string* dir = [] {
    std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    auto* tmpl = new std::string(base + "/benchlab-outbox-fuzz-XXXXXX");
    if (mkdtemp(tmpl->data()) == nullptr) std::abort();
    std::atexit([] { (void)std::system(("rm -rf '" + *dir + "'").c_str()); });
    return tmpl;
  }();
  return *dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    spdlog::set_level(spdlog::level::off);  // a torn tail is logged; millions of them here
    return true;
  }();
  (void)quiet;
  const std::string& dir = ScratchDir();
  const std::string path = dir + "/outbox.log";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  benchlab::agent::link::OutboxOptions options;
  options.compact_min_file_bytes = 64;  // let replays of small inputs reach compaction
  absl::StatusOr<std::unique_ptr<benchlab::agent::link::Outbox>> box =
      benchlab::agent::link::Outbox::Open(dir, options);
  if (box.ok()) {
    std::vector<std::string> ids;
    for (const auto& e : (*box)->Unacked()) ids.push_back(e.event_id());
    (void)(*box)->RunsWithUnackedEvents();
    if (ids.size() != (*box)->size()) std::abort();
    benchlab::v1::RunEvent next;
    next.set_event_id("fuzz/next");
    next.set_run_id("fuzz");
    next.set_state(benchlab::v1::RUN_STATE_RUNNING);
    (void)(*box)->Add(next);
    if (!ids.empty()) (*box)->Ack({ids.front()});
  }
  std::remove(path.c_str());
  return 0;
}
