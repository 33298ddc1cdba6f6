// Test helper: a CommandIo that records what a command writes and feeds it fixed stdin.
#ifndef BENCHLAB_TESTS_UNIT_DEVSIM_PHONE_TEST_IO_H_
#define BENCHLAB_TESTS_UNIT_DEVSIM_PHONE_TEST_IO_H_

#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "devsim/phone/fake_artifacts.h"
#include "devsim/phone/log_buffer.h"
#include "devsim/phone/phone.h"
#include "devsim/phone/vfs.h"

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

struct ShResult {
  int status;
  std::string out;
  std::string err;
};

// Runs one shell line on `phone` with `stdin_data` as stdin.
inline ShResult RunSh(Phone& phone, absl::string_view line, std::string stdin_data = "") {
  StringIo io(std::move(stdin_data));
  int status = phone.RunShell(line, io);
  return {status, io.out(), io.err()};
}

// Waits until some log entry's message contains `needle`; returns false on timeout.
inline bool WaitForLog(Phone& phone, absl::string_view needle,
                       absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    for (const LogEntry& e : phone.logs().Read(kAllLogMask, 0)) {
      if (absl::StrContains(e.message, needle)) return true;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

// The native tools' setup: a 3 MB model at /data/local/tmp/m.tflite and the classic and
// LiteRT devsim binaries at `tflite_bin` and `litert_bin`, executable.
inline void PutNativeTools(Phone& phone, const std::string& tflite_bin, const std::string& litert_bin) {
  phone.SetBackgroundLogs(false);
  EXPECT_TRUE(phone.fs().Write("/data/local/tmp/m.tflite", MakeFakeModel(3000000, 4)).ok());
  EXPECT_EQ(RunSh(phone, "mkdir -p /data/local/tmp/benchlab/bin").status, 0);
  EXPECT_TRUE(phone.fs().Write(tflite_bin, MakeFakeBinary("tflite")).ok());
  EXPECT_TRUE(phone.fs().Write(litert_bin, MakeFakeBinary("litert")).ok());
  EXPECT_EQ(RunSh(phone, absl::StrCat("chmod 755 ", tflite_bin, " ", litert_bin)).status, 0);
}

}  // namespace benchlab::devsim

#endif  // BENCHLAB_TESTS_UNIT_DEVSIM_PHONE_TEST_IO_H_
