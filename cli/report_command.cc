// `benchlab report JOB [--compare BASELINE] --html FILE | --markdown FILE`: GetResults
// (every page), CompareJobs when --compare names a baseline, the coordinator's version
// (ListAgents), written as a self-contained HTML file and/or Markdown (report.h).
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/lab_connection.h"
#include "cli/report.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

struct ReportFlags {
  LabOptions lab;
  std::string job_id;
  std::string compare;
  std::string html;
  std::string markdown;
};

// Writes beside `path` and renames over it, so a reader never sees half a report.
bool WriteWhole(const std::string& path, const std::string& text, const CliIo& io) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) {
      *io.err << "benchlab report: cannot write " << EscapeForTerminal(tmp) << ": " << std::strerror(errno)
              << "; give a writable path\n";
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    *io.err << "benchlab report: cannot rename " << EscapeForTerminal(tmp) << " to " << EscapeForTerminal(path)
            << ": " << std::strerror(errno) << "\n";
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

int RunReport(const ReportFlags& flags, const CliIo& io) {
  if (flags.html.empty() && flags.markdown.empty()) {
    *io.err << "benchlab report: give --html FILE or --markdown FILE (or both)\n";
    return kExitUsage;
  }
  ReportInput in;
  v1::GetResultsRequest req;
  req.set_job_id(flags.job_id);
  if (int code = ReadAllResults(flags.lab, "report", absl::StrCat("reading results of ", flags.job_id), req,
                                &in.results, io);
      code != kExitOk) {
    return code;
  }
  if (!flags.compare.empty()) {
    v1::CompareJobsRequest creq;
    creq.set_baseline_job_id(flags.compare);
    creq.set_candidate_job_id(flags.job_id);
    if (int code = CallLab(flags.lab, "report", absl::StrCat("comparing ", flags.compare, " with ", flags.job_id),
                           &v1::Lab::Stub::CompareJobs, creq, &in.comparison, io);
        code != kExitOk) {
      return code;
    }
    in.baseline_job_id = flags.compare;
  }
  v1::ListAgentsResponse agents;
  if (int code = CallLab(flags.lab, "report", "reading the coordinator's version", &v1::Lab::Stub::ListAgents,
                         v1::ListAgentsRequest(), &agents, io);
      code != kExitOk) {
    return code;
  }
  in.coordinator_version = agents.coordinator_version();
  if (!flags.html.empty()) {
    if (!WriteWhole(flags.html, RenderHtmlReport(in), io)) return kExitFailed;
    *io.out << "wrote " << EscapeForTerminal(flags.html) << "\n";
  }
  if (!flags.markdown.empty()) {
    if (!WriteWhole(flags.markdown, RenderMarkdownReport(in), io)) return kExitFailed;
    *io.out << "wrote " << EscapeForTerminal(flags.markdown) << "\n";
  }
  return kExitOk;
}

// The command's arguments and options on `cmd`; returns it.
CLI::App* AddReportOptions(CLI::App* cmd, ReportFlags* f) {
  cmd->add_option("job_id", f->job_id, "the job (the candidate when --compare is given)")->required();
  cmd->add_option("--compare", f->compare, "BASELINE job: add CompareJobs' verdicts (as `compare BASELINE JOB`)");
  cmd->add_option("--html", f->html, "FILE: one HTML file with inline SVG charts and CSS, no script");
  cmd->add_option("--markdown", f->markdown, "FILE: Markdown tables and verdicts for a pull-request comment");
  AddLabOptions(cmd, &f->lab);
  return cmd;
}

}  // namespace

void RegisterReportCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  auto flags = std::make_shared<ReportFlags>();
  AddReportOptions(app.add_subcommand("report", "Write a job's report: offline HTML with charts, or Markdown for a PR"),
                   flags.get())
      ->callback([flags, io, exit_code] { *exit_code = RunReport(*flags, io); });
}

}  // namespace benchlab::cli
