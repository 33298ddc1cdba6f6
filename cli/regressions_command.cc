// `benchlab regressions [--since 7d] [--devices SEL] [--json]`: ListRegressions, the
// change points of every series since a time, slower ones first.
#include <memory>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/commands.h"
#include "cli/device_selector.h"
#include "cli/duration_arg.h"
#include "cli/history_format.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "cli/table.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

struct RegressionsFlags {
  LabOptions lab;
  std::string since = "7d";
  std::string devices;
  bool json = false;
};

int RunRegressions(const RegressionsFlags& flags, const CliIo& io) {
  auto since = ParseDurationArg("--since", flags.since);
  if (!since.ok()) return ReportUsageError("regressions", since.status().message(), io);
  v1::ListRegressionsRequest req;
  req.set_since_unix_ms(absl::ToUnixMillis(absl::Now() - *since));
  if (!flags.devices.empty()) {
    auto sel = ParseDeviceSelector(flags.devices);
    if (!sel.ok()) return ReportUsageError("regressions", sel.status().message(), io);
    *req.mutable_devices() = *sel;
  }
  auto conn = LabConnection::Open(flags.lab);
  if (!conn.ok()) return ReportUsageError("regressions", conn.status().message(), io);
  grpc::ClientContext ctx;
  (*conn)->PrepareUnary(&ctx);
  v1::ListRegressionsResponse resp;
  grpc::Status st = (*conn)->lab()->ListRegressions(&ctx, req, &resp);
  if (!st.ok()) return ReportRpcError(st, "regressions", "listing regressions", flags.lab, io);
  if (flags.json) {
    *io.out << ToJson(resp) << "\n";
    return kExitOk;
  }
  if (resp.regressions().empty()) {
    *io.out << "no change points in the last " << flags.since << "\n";
    return kExitOk;
  }
  Table table({"CHANGE", "BEFORE", "AFTER", "DEVICE", "MODEL", "TOOL", "FLAGS", "JOB BEFORE", "JOB AFTER", "AT"});
  for (const auto& r : resp.regressions()) {
    const auto& c = r.change();
    const auto& k = r.series();
    table.AddRow({DescribeChange(c), FormatNumber(c.before_median()), FormatNumber(c.after_median()), k.device_id(),
                  DescribeModel(k), ShortSha(k.apk_sha256()), DescribeFlags(k), c.job_before(), c.job_after(),
                  FormatUnixMs(c.after_created_unix_ms())});
  }
  *io.out << table.Render();
  if (resp.truncated()) *io.out << "only the newest jobs were looked at, or the list was cut (the lab's limit)\n";
  return kExitOk;
}

}  // namespace

void RegisterRegressionsCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  auto flags = std::make_shared<RegressionsFlags>();
  CLI::App* cmd = app.add_subcommand("regressions", "Change points of every series since a time, slower ones first");
  cmd->add_option("--since", flags->since, "how far back the first changed job may be: 30m, 12h, 7d, 2w")
      ->capture_default_str();
  cmd->add_option("--devices", flags->devices, "only these phones (the selector of `run --devices`)");
  cmd->add_flag("--json", flags->json, "print the ListRegressionsResponse as JSON");
  AddLabOptions(cmd, &flags->lab);
  cmd->callback([flags, io, exit_code] { *exit_code = RunRegressions(*flags, io); });
}

}  // namespace benchlab::cli
