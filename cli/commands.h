// The subcommands. Each lives in its own <name>_command.cc and adds itself to the app;
// when CLI11 selects it, its callback runs and stores the exit code in *exit_code.
// To add a command: write the file, declare its Register function here, list it in cli.cc.
#ifndef BENCHLAB_CLI_COMMANDS_H_
#define BENCHLAB_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "cli/cli.h"

namespace benchlab::cli {

using CommandRegistrar = void (*)(CLI::App& app, const CliIo& io, int* exit_code);

// `benchlab parse FILE|-`: a benchmark capture (logcat or native stdout) to a table or JSON.
void RegisterParseCommand(CLI::App& app, const CliIo& io, int* exit_code);

// Lab commands: they talk to a coordinator's Lab API (options in cli/lab_connection.h).
// `benchlab devices`: phones with state, model, battery and queue.
void RegisterDevicesCommand(CLI::App& app, const CliIo& io, int* exit_code);
// `benchlab agents`: lab hosts.
void RegisterAgentsCommand(CLI::App& app, const CliIo& io, int* exit_code);
// `benchlab run MODEL --apk APK ...`: upload, submit, follow, results.
void RegisterRunCommand(CLI::App& app, const CliIo& io, int* exit_code);
// `benchlab jobs`: recent jobs.
void RegisterJobsCommand(CLI::App& app, const CliIo& io, int* exit_code);
// `benchlab job ID`: one job and its runs.
void RegisterJobCommand(CLI::App& app, const CliIo& io, int* exit_code);
// `benchlab results JOB`: per-device aggregates and per-run metrics.
void RegisterResultsCommand(CLI::App& app, const CliIo& io, int* exit_code);
// `benchlab compare A B`: change per device and metric, with the noise verdict.
void RegisterCompareCommand(CLI::App& app, const CliIo& io, int* exit_code);
// `benchlab ab MODEL_A MODEL_B`: both models interleaved ABBA, one verdict per phone.
void RegisterAbCommand(CLI::App& app, const CliIo& io, int* exit_code);
// `benchlab logs DEVICE`: a phone's logcat through the coordinator.
void RegisterLogsCommand(CLI::App& app, const CliIo& io, int* exit_code);
// `benchlab cancel JOB`.
void RegisterCancelCommand(CLI::App& app, const CliIo& io, int* exit_code);
// `benchlab history --model FILE|SHA`: per-job medians of each series, change points marked.
void RegisterHistoryCommand(CLI::App& app, const CliIo& io, int* exit_code);
// `benchlab regressions [--since 7d]`: change points of every series, slower first.
void RegisterRegressionsCommand(CLI::App& app, const CliIo& io, int* exit_code);
// `benchlab report JOB [--compare BASELINE] --html FILE | --markdown FILE`.
void RegisterReportCommand(CLI::App& app, const CliIo& io, int* exit_code);
// `benchlab device drain|undrain|maintenance|forget ID`: device care (admin).
void RegisterDeviceCommand(CLI::App& app, const CliIo& io, int* exit_code);
// `benchlab audit [--since 1h]`: the audit log (admin).
void RegisterAuditCommand(CLI::App& app, const CliIo& io, int* exit_code);
// `benchlab artifact list|pin|unpin`: the coordinator's artifacts and their retention.
void RegisterArtifactCommand(CLI::App& app, const CliIo& io, int* exit_code);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_COMMANDS_H_
