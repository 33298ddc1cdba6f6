// Phone: the transport's entry point; owns the file system, logs and PhoneState, and
// runs shell lines and streamed installs on them.
#include "devsim/phone/phone.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "devsim/phone/log_buffer.h"
#include "devsim/phone/phone_state.h"
#include "devsim/phone/shell.h"
#include "devsim/phone/vfs.h"

namespace benchlab::devsim {

class Phone::Impl {
 public:
  Impl(const PhoneProfile& profile, uint64_t seed, absl::Duration run_duration, Vfs& fs,
       LogBuffer& logs, const PhoneSimOptions& sim)
      : state(profile, seed, run_duration, fs, logs, sim) {}
  PhoneState state;
};

Phone::Phone(PhoneProfile profile, uint64_t seed, absl::Duration run_duration,
             PhoneSimOptions sim)
    : profile_(std::move(profile)),
      fs_(std::make_unique<Vfs>()),
      logs_(std::make_unique<LogBuffer>()),
      impl_(std::make_unique<Impl>(profile_, seed, run_duration, *fs_, *logs_, sim)) {}

Phone::~Phone() = default;

int Phone::RunShell(absl::string_view command_line, CommandIo& io) {
  Shell shell(impl_->state, io);
  return shell.Run(command_line);
}

int Phone::RunInteractive(CommandIo& io) {
  Shell shell(impl_->state, io);
  std::string pending;
  int status = 0;
  auto prompt = [&] {
    return io.WriteStdout(absl::StrCat(profile_.device, ":", shell.cwd(), " $ "));
  };
  if (!prompt()) return status;
  while (!io.Cancelled()) {
    const size_t nl = pending.find('\n');
    if (nl == std::string::npos) {
      std::string chunk = io.ReadStdin(4096);
      if (chunk.empty()) break;  // end of input
      pending += chunk;
      continue;
    }
    std::string line = pending.substr(0, nl);
    pending.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    status = shell.Run(line);
    if (shell.exit_requested()) break;
    if (!prompt()) break;
  }
  return status;
}

int Phone::RunArgv(const std::vector<std::string>& argv, CommandIo& io) {
  Shell shell(impl_->state, io);
  return shell.RunArgv(argv, io);
}

int Phone::InstallStreamed(const std::vector<std::string>& pm_args, int64_t size, CommandIo& io) {
  std::string apk;
  while (static_cast<int64_t>(apk.size()) < size) {
    std::string chunk = io.ReadStdin(
        static_cast<size_t>(std::min<int64_t>(size - static_cast<int64_t>(apk.size()), 1 << 20)));
    if (chunk.empty()) break;
    apk += chunk;
  }
  if (static_cast<int64_t>(apk.size()) != size) {
    io.WriteStdout(absl::StrCat("Failure [INSTALL_FAILED_INVALID_APK: expected ", size,
                                " bytes, got ", apk.size(), "]\n"));
    return 1;
  }
  const std::string result = impl_->state.InstallApk(pm_args, std::move(apk));
  io.WriteStdout(result + "\n");
  return result == "Success" ? 0 : 1;
}

void Phone::SetBackgroundLogs(bool on) { impl_->state.SetBackgroundLogs(on); }

void Phone::SetFault(Fault fault) { impl_->state.SetFault(fault); }
Fault Phone::fault() const { return impl_->state.fault(); }
void Phone::SetLinkFaultListener(std::function<void(Fault)> listener) {
  impl_->state.SetLinkFaultListener(std::move(listener));
}

}  // namespace benchlab::devsim
