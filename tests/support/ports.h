// Free loopback ports for tests (never in 5555-5585, which the adb server scans).
#ifndef BENCHLAB_TESTS_SUPPORT_PORTS_H_
#define BENCHLAB_TESTS_SUPPORT_PORTS_H_

#include "absl/time/time.h"

namespace benchlab::testing {

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();
// The first of `count` consecutive free ports.
int FreePortRange(int count);
// Waits until something accepts connections on 127.0.0.1:port.
bool WaitForPort(int port, absl::Duration timeout);

}  // namespace benchlab::testing

#endif  // BENCHLAB_TESTS_SUPPORT_PORTS_H_
