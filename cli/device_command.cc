// `benchlab device drain|undrain|maintenance|forget ID`: device care (admin role). A
// drained phone or one in maintenance takes no new runs (a run it holds finishes); forget
// removes a phone gone for good from the lab. Each prints the phone's new state.
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

struct DeviceFlags {
  LabOptions lab;
  std::string device_id;
  std::string note;
  bool clear = false;
  bool json = false;
};

// "pixel-host/R58M1 drained by alice (run r-12 finishing, 3 queued)": one line for people.
std::string CareLine(const v1::Device& d) {
  std::string line = absl::StrCat(EscapeForTerminal(d.info().device_id()), " ", DeviceStateName(d.state()));
  if (!d.care_by().empty()) absl::StrAppend(&line, " by ", EscapeForTerminal(d.care_by()));
  if (!d.care_note().empty()) absl::StrAppend(&line, ": ", EscapeForTerminal(d.care_note()));
  if (!d.current_run_id().empty()) absl::StrAppend(&line, " (run ", d.current_run_id(), " finishing)");
  if (d.queue_length() > 0) absl::StrAppend(&line, " (", d.queue_length(), " runs queued)");
  return line;
}

template <typename Request>
int RunCare(const DeviceFlags& flags, const char* command,
            grpc::Status (v1::Lab::Stub::*method)(grpc::ClientContext*, const Request&, v1::DeviceCareResponse*),
            const Request& req, const CliIo& io) {
  v1::DeviceCareResponse resp;
  if (int code = CallLab(flags.lab, command, absl::StrCat("changing ", flags.device_id), method, req, &resp, io);
      code != kExitOk) {
    return code;
  }
  *io.out << (flags.json ? ToJson(resp) : CareLine(resp.device())) << "\n";
  return kExitOk;
}

int RunForget(const DeviceFlags& flags, const CliIo& io) {
  v1::ForgetDeviceRequest req;
  req.set_device_id(flags.device_id);
  v1::ForgetDeviceResponse resp;
  if (int code = CallLab(flags.lab, "device forget", absl::StrCat("forgetting ", flags.device_id),
                         &v1::Lab::Stub::ForgetDevice, req, &resp, io);
      code != kExitOk) {
    return code;
  }
  if (flags.json) {
    *io.out << ToJson(resp) << "\n";
    return kExitOk;
  }
  *io.out << EscapeForTerminal(flags.device_id) << " forgotten";
  if (resp.failed_run_ids_size() > 0) *io.out << "; " << resp.failed_run_ids_size() << " queued runs failed";
  *io.out << "\n";
  return kExitOk;
}

CLI::App* AddCareCommand(CLI::App* device, const char* name, const char* help, std::shared_ptr<DeviceFlags> flags) {
  CLI::App* cmd = device->add_subcommand(name, help);
  cmd->add_option("device_id", flags->device_id, "the phone, AGENT/SERIAL as `benchlab devices` lists it")
      ->required();
  cmd->add_flag("--json", flags->json, "print the response as JSON");
  AddLabOptions(cmd, &flags->lab);
  return cmd;
}

}  // namespace

void RegisterDeviceCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  CLI::App* device = app.add_subcommand("device", "Device care (admin): drain, undrain, maintenance, forget");
  device->require_subcommand(1);
  // One flags struct per subcommand: CLI11 fills an unselected subcommand's options from
  // the environment too, which must not overwrite the selected one's --token.
  auto flags = std::make_shared<DeviceFlags>();
  AddCareCommand(device, "drain", "No new runs on the phone; a running one finishes, queued ones wait", flags)
      ->callback([flags, io, exit_code] {
        v1::DrainDeviceRequest req;
        req.set_device_id(flags->device_id);
        *exit_code = RunCare(*flags, "device drain", &v1::Lab::Stub::DrainDevice, req, io);
      });
  flags = std::make_shared<DeviceFlags>();
  AddCareCommand(device, "undrain", "Back in service after a drain or maintenance", flags)
      ->callback([flags, io, exit_code] {
        v1::UndrainDeviceRequest req;
        req.set_device_id(flags->device_id);
        *exit_code = RunCare(*flags, "device undrain", &v1::Lab::Stub::UndrainDevice, req, io);
      });
  flags = std::make_shared<DeviceFlags>();
  CLI::App* maintenance =
      AddCareCommand(device, "maintenance", "Out for maintenance with a note shown in `benchlab devices`", flags);
  maintenance->add_option("--note", flags->note, "why the phone is out, e.g. \"battery swollen, sent to repair\"");
  maintenance->add_flag("--clear", flags->clear, "end the maintenance (as undrain)");
  maintenance->callback([flags, io, exit_code] {
    if (flags->note.empty() == !flags->clear) {
      *exit_code = ReportUsageError("device maintenance", "give --note TEXT (why it is out) or --clear", io);
      return;
    }
    v1::SetDeviceMaintenanceRequest req;
    req.set_device_id(flags->device_id);
    req.set_note(flags->note);
    req.set_clear(flags->clear);
    *exit_code = RunCare(*flags, "device maintenance", &v1::Lab::Stub::SetDeviceMaintenance, req, io);
  });
  flags = std::make_shared<DeviceFlags>();
  AddCareCommand(device, "forget",
                 "Remove a phone gone for good (refused while it is connected or running); its queued runs fail",
                 flags)
      ->callback([flags, io, exit_code] { *exit_code = RunForget(*flags, io); });
}

}  // namespace benchlab::cli
