// Test helper: a CommandIo that records what a command writes and feeds it fixed stdin.
#ifndef BENCHLAB_TESTS_UNIT_DEVSIM_PHONE_TEST_IO_H_
#define BENCHLAB_TESTS_UNIT_DEVSIM_PHONE_TEST_IO_H_

#include <atomic>
#include <string>

#include "absl/synchronization/mutex.h"
#include "devsim/phone/phone.h"

namespace benchlab::devsim {

class StringIo : public CommandIo {
 public:
  explicit StringIo(std::string stdin_data = "") : in_(std::move(stdin_data)) {}
  bool WriteStdout(absl::string_view d) override {
    absl::MutexLock l(&mu_);
    out_.append(d.data(), d.size());
    return !cancelled_;
  }
  bool WriteStderr(absl::string_view d) override {
    absl::MutexLock l(&mu_);
    err_.append(d.data(), d.size());
    return !cancelled_;
  }
  std::string ReadStdin(size_t max_bytes) override {
    absl::MutexLock l(&mu_);
    std::string r = in_.substr(pos_, max_bytes);
    pos_ += r.size();
    return r;
  }
  bool Cancelled() override { return cancelled_; }
  void Cancel() { cancelled_ = true; }
  std::string out() {
    absl::MutexLock l(&mu_);
    return out_;
  }
  std::string err() {
    absl::MutexLock l(&mu_);
    return err_;
  }

 private:
  absl::Mutex mu_;
  std::string out_, err_, in_;
  size_t pos_ = 0;
  std::atomic<bool> cancelled_{false};
};

}  // namespace benchlab::devsim

#endif  // BENCHLAB_TESTS_UNIT_DEVSIM_PHONE_TEST_IO_H_
