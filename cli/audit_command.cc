// `benchlab audit [--since 1h] [--json]`: the coordinator's audit log (admin role): jobs
// submitted and cancelled, device care, refused credentials. Callers' text (token names,
// peers, notes) is escaped in the table.
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/commands.h"
#include "cli/duration_arg.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "cli/table.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

struct AuditFlags {
  LabOptions lab;
  std::string since;
  int limit = 0;
  bool json = false;
};

int RunAudit(const AuditFlags& flags, const CliIo& io) {
  v1::ListAuditRequest req;
  if (!flags.since.empty()) {
    auto since = ParseDurationArg("--since", flags.since);
    if (!since.ok()) return ReportUsageError("audit", since.status().message(), io);
    req.set_since_unix_ms(absl::ToUnixMillis(absl::Now() - *since));
  }
  req.set_limit(flags.limit);
  v1::ListAuditResponse resp;
  if (int code = CallLab(flags.lab, "audit", "reading the audit log", &v1::Lab::Stub::ListAudit, req, &resp, io);
      code != kExitOk) {
    return code;
  }
  if (flags.json) {
    *io.out << ToJson(resp) << "\n";
    return kExitOk;
  }
  if (resp.entries().empty()) {
    *io.out << "no audit entries" << (flags.since.empty() ? "" : absl::StrCat(" in the last ", flags.since)) << "\n";
    return kExitOk;
  }
  // Table escapes control characters in every cell (common/terminal_text.h).
  Table table({"TIME", "ACTION", "WHO", "PEER", "TARGET", "DETAIL"});
  for (const auto& e : resp.entries()) {
    table.AddRow({FormatUnixMs(e.unix_ms()), e.action(), e.actor(), e.peer(), e.target().empty() ? "-" : e.target(),
                  e.detail().empty() ? e.method() : e.detail()});
  }
  *io.out << table.Render();
  if (resp.truncated()) *io.out << "(older entries left out; use --limit or --since)\n";
  return kExitOk;
}

}  // namespace

void RegisterAuditCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  auto flags = std::make_shared<AuditFlags>();
  CLI::App* cmd = app.add_subcommand(
      "audit", "The audit log (admin): submits, cancels, device care and refused credentials, oldest first");
  cmd->add_option("--since", flags->since, "only the last DURATION, e.g. 1h, 7d");
  cmd->add_option("--limit", flags->limit, "at most N newest entries (default 1000, at most 10000)")
      ->check(CLI::Range(0, 10000));
  cmd->add_flag("--json", flags->json, "print the ListAuditResponse as JSON");
  AddLabOptions(cmd, &flags->lab);
  cmd->callback([flags, io, exit_code] { *exit_code = RunAudit(*flags, io); });
}

}  // namespace benchlab::cli
