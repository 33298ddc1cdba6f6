// `benchlab history --model FILE|SHA [--devices SEL] [--json]`: GetHistory as one block per
// series (phone, tool, flags) with its per-job medians over time, change points marked.
#include <filesystem>
#include <map>
#include <memory>
#include <ostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/device_selector.h"
#include "cli/history_format.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "cli/table.h"
#include "common/sha256.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

struct HistoryFlags {
  LabOptions lab;
  std::string model;
  std::string devices;
  bool json = false;
};

// A file's content hash, or the argument itself when it is a SHA-256 (and no such file).
absl::StatusOr<std::string> ModelSha(const std::string& arg) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) {
    auto digest = Sha256File(arg);
    if (!digest.ok()) return digest.status();
    return digest->sha256;
  }
  std::string lower = absl::AsciiStrToLower(arg);
  if (lower.size() == 64 && lower.find_first_not_of("0123456789abcdef") == std::string::npos) return lower;
  return absl::InvalidArgumentError(
      absl::StrCat("--model \"", arg, "\": no such file, and not a SHA-256 (64 hex digits)"));
}

int RunHistory(const HistoryFlags& flags, const CliIo& io) {
  auto sha = ModelSha(flags.model);
  if (!sha.ok()) return ReportUsageError("history", sha.status().message(), io);
  v1::GetHistoryRequest req;
  req.set_model_sha256(*sha);
  if (!flags.devices.empty()) {
    auto sel = ParseDeviceSelector(flags.devices);
    if (!sel.ok()) return ReportUsageError("history", sel.status().message(), io);
    *req.mutable_devices() = *sel;
  }
  auto conn = LabConnection::Open(flags.lab);
  if (!conn.ok()) return ReportUsageError("history", conn.status().message(), io);
  grpc::ClientContext ctx;
  (*conn)->PrepareUnary(&ctx);
  v1::GetHistoryResponse resp;
  grpc::Status st = (*conn)->lab()->GetHistory(&ctx, req, &resp);
  if (!st.ok()) return ReportRpcError(st, "history", absl::StrCat("history of model ", *sha), flags.lab, io);
  if (flags.json) {
    *io.out << ToJson(resp) << "\n";
    return kExitOk;
  }
  if (resp.series().empty()) {
    *io.out << "no finished runs of model " << *sha << EscapeForTerminal(flags.devices.empty() ? "" : " on " + flags.devices) << "\n";
    return kExitOk;
  }
  for (const auto& s : resp.series()) {
    const v1::SeriesKey& k = s.key();
    *io.out << "series: device " << EscapeForTerminal(k.device_id()) << ", " << EscapeForTerminal(DescribePhone(k))
            << "\n  model " << EscapeForTerminal(DescribeModel(k)) << ", tool " << ShortSha(k.apk_sha256())
            << ", flags " << EscapeForTerminal(DescribeFlags(k)) << "\n  " << k.metric()
            << ": median per job, oldest first";
    if (s.points_omitted() > 0) *io.out << " (" << s.points_omitted() << " older jobs not shown)";
    *io.out << "\n";
    std::map<int, const v1::ChangePoint*> at;
    for (const auto& c : s.change_points()) at[c.index()] = &c;
    Table table({"JOB", "CREATED", "MEDIAN", "RUNS", "CHANGE"});
    for (int i = 0; i < s.points_size(); ++i) {
      const auto& p = s.points(i);
      auto c = at.find(i);
      table.AddRow({p.job_id(), FormatUnixMs(p.created_unix_ms()), FormatNumber(p.median()), absl::StrCat(p.n()),
                    c == at.end() ? "" : "<- " + DescribeChange(*c->second)});
    }
    *io.out << table.Render();
    if (s.change_points().empty()) {
      *io.out << "  no change points\n\n";
    } else {
      *io.out << "  " << s.change_points_size() << " change point" << (s.change_points_size() > 1 ? "s" : "") << "\n\n";
    }
  }
  if (resp.truncated()) *io.out << "only the newest jobs and series were looked at (the lab's limit)\n";
  return kExitOk;
}

}  // namespace

void RegisterHistoryCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  auto flags = std::make_shared<HistoryFlags>();
  CLI::App* cmd = app.add_subcommand("history", "A model's results over time per phone, tool and flags, with change points");
  cmd->add_option("--model", flags->model, "the model file (hashed here) or its SHA-256")->required();
  cmd->add_option("--devices", flags->devices, "only these phones (the selector of `run --devices`)");
  cmd->add_flag("--json", flags->json, "print the GetHistoryResponse as JSON");
  AddLabOptions(cmd, &flags->lab);
  cmd->footer("A change point is a job where the level steps beyond noise (Welch t >= 5 over windows of up\n"
              "to 12 jobs on each side) and the windows' medians differ by at least 2%.");
  cmd->callback([flags, io, exit_code] { *exit_code = RunHistory(*flags, io); });
}

}  // namespace benchlab::cli
