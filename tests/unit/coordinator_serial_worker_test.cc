// SerialWorker: tasks run in the order posted, one at a time, on one thread other than the
// poster's, and the ones still queued at destruction run before it returns.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "coordinator/serial_worker.h"

namespace benchlab::coordinator {
namespace {

TEST(SerialWorker, RunsTasksInOrderOnOneOtherThreadAndDrainsOnDestruction) {
  absl::Mutex mu;
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  std::atomic<int> running{0}, overlap{0};
  {
    SerialWorker w;
    for (int i = 0; i < 1000; ++i) {
      w.Post([&, i] {
        if (++running > 1) ++overlap;
        absl::MutexLock l(&mu);
        order.push_back(i);
        threads.push_back(std::this_thread::get_id());
        --running;
      });
    }
  }  // destruction waits for all 1000
  ASSERT_EQ(order.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(order[i], i);
  for (const auto& t : threads) {
    EXPECT_EQ(t, threads[0]);
    EXPECT_NE(t, std::this_thread::get_id());
  }
  EXPECT_EQ(overlap.load(), 0);
}

}  // namespace
}  // namespace benchlab::coordinator
