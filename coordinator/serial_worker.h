// One thread that runs posted tasks in order. The agent sessions hand their run events to
// it so that gRPC's few callback threads never wait on the core's lock or its disk syncs:
// those threads also drive the transports (keepalive pings), and a busy core must not
// make healthy agents look dead.
#ifndef BENCHLAB_COORDINATOR_SERIAL_WORKER_H_
#define BENCHLAB_COORDINATOR_SERIAL_WORKER_H_

#include <deque>
#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"

namespace benchlab::coordinator {

class SerialWorker {
 public:
  SerialWorker();
  // Runs the tasks still queued, then stops.
  ~SerialWorker();
  SerialWorker(const SerialWorker&) = delete;
  SerialWorker& operator=(const SerialWorker&) = delete;

  void Post(std::function<void()> task);

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_SERIAL_WORKER_H_
