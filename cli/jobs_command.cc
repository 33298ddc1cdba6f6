// `benchlab jobs [--limit N] [--active] [--json]`: ListJobs, newest first.
#include <algorithm>
#include <memory>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "cli/table.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

struct JobsFlags {
  LabOptions lab;
  int limit = 20;
  bool active = false;
  bool json = false;
};

int RunJobs(const JobsFlags& flags, const CliIo& io) {
  auto conn = LabConnection::Open(flags.lab);
  if (!conn.ok()) return ReportUsageError("jobs", conn.status().message(), io);
  // Pages of up to 500 until `limit` jobs or the end.
  v1::ListJobsResponse all;
  std::string token;
  do {
    grpc::ClientContext ctx;
    (*conn)->PrepareUnary(&ctx);
    v1::ListJobsRequest req;
    req.set_page_size(std::min(500, flags.limit - all.jobs_size()));
    req.set_page_token(token);
    req.set_active_only(flags.active);
    v1::ListJobsResponse page;
    grpc::Status st = (*conn)->lab()->ListJobs(&ctx, req, &page);
    if (!st.ok()) return ReportRpcError(st, "jobs", "listing jobs", flags.lab, io);
    for (auto& job : *page.mutable_jobs()) *all.add_jobs() = std::move(job);
    token = page.next_page_token();
  } while (!token.empty() && all.jobs_size() < flags.limit);
  all.set_next_page_token(token);
  if (flags.json) {
    *io.out << ToJson(all) << "\n";
    return kExitOk;
  }
  if (all.jobs().empty()) {
    *io.out << "no jobs\n";
    return kExitOk;
  }
  Table table({"JOB", "STATE", "CREATED", "BY", "DEVICES", "RUNS", "DONE", "FAILED", "ACTIVE", "QUEUED", "DESCRIPTION"});
  for (const auto& j : all.jobs()) {
    std::string state = j.cancelled() ? "cancelled" : j.finished_unix_ms() != 0 ? "finished" : "running";
    table.AddRow({j.job_id(), state, FormatUnixMs(j.created_unix_ms()), j.submitted_by().empty() ? "-" : j.submitted_by(),
                  absl::StrCat(j.device_ids_size()), absl::StrCat(j.runs_total()), absl::StrCat(j.runs_done()),
                  absl::StrCat(j.runs_failed()), absl::StrCat(j.runs_active()), absl::StrCat(j.runs_queued()),
                  j.spec().description()});
  }
  *io.out << table.Render();
  return kExitOk;
}

}  // namespace

void RegisterJobsCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  auto flags = std::make_shared<JobsFlags>();
  CLI::App* cmd = app.add_subcommand("jobs", "List recent jobs, newest first");
  cmd->add_option("--limit", flags->limit, "at most this many jobs")->capture_default_str()->check(CLI::Range(1, 100000));
  cmd->add_flag("--active", flags->active, "only jobs not yet finished");
  cmd->add_flag("--json", flags->json, "print a ListJobsResponse as JSON");
  AddLabOptions(cmd, &flags->lab);
  cmd->callback([flags, io, exit_code] { *exit_code = RunJobs(*flags, io); });
}

}  // namespace benchlab::cli
