// Free loopback ports for tests (never in 5555-5585, which the adb server scans), and a
// plain HTTP GET to a loopback port (the /metrics endpoints).
#ifndef BENCHLAB_TESTS_SUPPORT_PORTS_H_
#define BENCHLAB_TESTS_SUPPORT_PORTS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace benchlab::testing {

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();
// The first of `count` consecutive free ports.
int FreePortRange(int count);
// Waits until something accepts connections on 127.0.0.1:port.
bool WaitForPort(int port, absl::Duration timeout);
// GET http://127.0.0.1:port/path (HTTP/1.0) with extra header lines ("Name: value"); the
// whole response, headers included; empty when nothing answers.
std::string HttpGet(int port, const std::string& path, const std::vector<std::string>& headers = {});

}  // namespace benchlab::testing

#endif  // BENCHLAB_TESTS_SUPPORT_PORTS_H_
