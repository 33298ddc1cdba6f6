// One adb link from the adb server to one simulated phone: the CNXN handshake, then
// OPEN/OKAY/WRTE/CLSE for any number of concurrent streams, each served by the Phone on
// its own thread. Wire facts: AOSP adb protocol.txt and SYNC.TXT
//
// Threading: Serve() runs on the connection's thread and reads the socket; every stream
// has a service thread; Send() is called from all of them (write_mu_ serialises whole
// packets). Drop() may be called from any thread.
#ifndef BENCHLAB_DEVSIM_DEVICE_CONNECTION_H_
#define BENCHLAB_DEVSIM_DEVICE_CONNECTION_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "devsim/adb_stream.h"
#include "devsim/phone/phone.h"

namespace benchlab::devsim {

class DeviceConnection {
 public:
  // Takes ownership of the connected socket `fd`. `banner` is the CNXN payload
  // ("device::ro.product.name=...;features=..."). `pull_cable` acts on a disconnect fault.
  DeviceConnection(int fd, Phone* phone, std::string banner, std::function<void()> pull_cable);
  ~DeviceConnection();  // closes the socket; call only after Serve() returned

  // Serves the link until the host goes away or Drop() is called. Returns after every
  // service thread of this connection has finished.
  void Serve();
  // Breaks the link at once (a pulled cable).
  void Drop();

 private:
  bool Send(uint32_t command, uint32_t arg0, uint32_t arg1, absl::string_view payload);
  bool ReadFull(char* buf, size_t n);
  // Returns false when the host must be refused (unauthorized phone).
  bool Handshake();
  void Open(uint32_t remote_id, std::string service);

  const int fd_;
  Phone* const phone_;
  const std::string banner_;
  const std::function<void()> pull_cable_;
  size_t max_payload_ = 4096;  // until CNXN negotiates more

  absl::Mutex write_mu_;
  absl::Mutex mu_;
  std::map<uint32_t, std::shared_ptr<AdbStream>> streams_ ABSL_GUARDED_BY(mu_);
  int live_services_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t next_local_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_DEVICE_CONNECTION_H_
