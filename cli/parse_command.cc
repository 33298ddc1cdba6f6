// `benchlab parse FILE|-`: reads a benchmark capture (any logcat layout, Android Studio
// paste, or benchmark_model stdout), parses every run in it (common/benchmark_capture)
// and prints a table per run (default), JSON or CSV. The exit code says ok / a failed
// run / unreadable / nothing found.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "common/benchmark_capture.h"
#include "common/benchmark_parser.h"
#include "common/metrics_csv.h"
#include "common/metrics_json.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace {

struct ParseFlags {
  std::string input;
  bool json = false;
  bool csv = false;
  int64_t pid = -1;
  std::string package = "org.tensorflow.lite.benchmark";
};

// Streams a file (or stdin for "-") into the parser in chunks. Returns an error message
// a person can act on, or nullopt.
std::optional<std::string> FeedInput(const std::string& input, std::istream& in,
                                     BenchmarkCaptureParser* parser) {
  char buffer[64 * 1024];
  if (input == "-") {
    while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
      parser->FeedBytes(absl::string_view(buffer, static_cast<size_t>(in.gcount())));
    }
    if (in.bad()) return std::string("cannot read standard input");
    return std::nullopt;
  }
  int fd = ::open(input.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::StrCat("cannot open '", input, "': ", std::strerror(errno));
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string message = absl::StrCat("cannot read '", input, "': ", std::strerror(errno));
      ::close(fd);
      return message;
    }
    if (n == 0) break;
    parser->FeedBytes(absl::string_view(buffer, static_cast<size_t>(n)));
  }
  ::close(fd);
  return std::nullopt;
}

// "run 2 of 3: pid 6843, started 11-25 10:03:51.112, capture line 412"
std::string RunHeading(const CaptureRun& run, size_t index, size_t count) {
  std::string h = absl::StrCat("run ", index + 1, " of ", count, ":");
  if (run.result.pid) absl::StrAppend(&h, " pid ", *run.result.pid, ",");
  if (!run.start.empty()) absl::StrAppend(&h, " started ", run.start, ",");
  absl::StrAppend(&h, " capture line ", run.first_line);
  return h;
}

int RunParse(const ParseFlags& flags, const CliIo& io) {
  BenchmarkParserOptions options;
  options.package = flags.package;
  if (flags.pid >= 0) options.pid = flags.pid;
  BenchmarkCaptureParser parser(options);
  if (std::optional<std::string> error = FeedInput(flags.input, *io.in, &parser)) {
    *io.err << "benchlab parse: " << EscapeForTerminal(*error) << "\n";
    return kExitUnreadable;
  }
  parser.Finish();
  std::vector<CaptureRun> runs = parser.runs();
  // A capture of several runs may begin with lines of no run (before the first start).
  if (runs.size() > 1 && runs.front().result.error_class == ErrorClass::kNoResult) {
    runs.erase(runs.begin());
  }
  const size_t n = runs.size();
  if (flags.json) {
    // One run: its object, as always; several: an array of them, each with its place.
    if (n == 1) {
      *io.out << FormatBenchmarkJson(runs.front().result) << "\n";
    } else {
      *io.out << "[\n";
      for (size_t i = 0; i < n; ++i) {
        *io.out << FormatBenchmarkJson(runs[i].result) << (i + 1 < n ? ",\n" : "\n");
      }
      *io.out << "]\n";
    }
  } else if (flags.csv) {
    *io.out << BenchmarkCsvHeader() << "\n";
    for (const CaptureRun& run : runs) *io.out << EscapeLinesForTerminal(BenchmarkCsvRow(run.result)) << "\n";
  } else {
    // A capture is anyone's text (a pasted log): shown, not acted on.
    for (size_t i = 0; i < n; ++i) {
      if (n > 1) *io.out << (i > 0 ? "\n" : "") << EscapeForTerminal(RunHeading(runs[i], i, n)) << "\n";
      *io.out << EscapeLinesForTerminal(FormatBenchmarkTable(runs[i].result));
    }
  }
  if (n > 1) {
    *io.err << "benchlab parse: " << n << " runs in '" << EscapeForTerminal(flags.input)
            << "' (one per start line); --pid N picks one\n";
  }
  int code = kExitOk;
  for (size_t i = 0; i < n; ++i) {
    const BenchmarkResult& result = runs[i].result;
    if (result.status == RunStatus::kOk) continue;
    if (result.error_class == ErrorClass::kNoResult && n == 1) {
      *io.err << "benchlab parse: no benchmark output found in '" << EscapeForTerminal(flags.input)
              << "' (expected TFLite benchmark lines: logcat, Android Studio or benchmark_model "
                 "stdout)\n";
      if (code == kExitOk) code = kExitNoResult;
      continue;
    }
    *io.err << "benchlab parse: " << (n > 1 ? absl::StrCat("run ", i + 1, ": ") : "")
            << "the run failed: " << ErrorClassName(result.error_class) << "\n";
    code = kExitFailed;
  }
  return code;
}

}  // namespace

void RegisterParseCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  auto flags = std::make_shared<ParseFlags>();
  CLI::App* cmd = app.add_subcommand(
      "parse", "Parse a TFLite benchmark capture (logcat, Android Studio paste or "
               "benchmark_model stdout) and print its metrics");
  cmd->add_option("input", flags->input, "capture file, or - for standard input")->required();
  CLI::Option* json =
      cmd->add_flag("--json", flags->json, "print JSON (field names as in the API) instead of a table");
  cmd->add_flag("--csv", flags->csv, "print a CSV header and one row of metrics")->excludes(json);
  cmd->add_option("--pid", flags->pid,
                  "the benchmark's pid when known (default: from the start lines, else the "
                  "first tflite process)");
  cmd->add_option("--package", flags->package, "the benchmark app's package")
      ->capture_default_str();
  cmd->footer(
      "A capture of several runs (one per start line) prints every run: a table each, a JSON\n"
      "array, or a CSV row each; --pid N parses only that process's run.\n"
      "Exit codes: 0 every run succeeded, 1 a run failed (error class and the lines that show\n"
      "why are printed), 2 usage error, 3 input unreadable, 4 no benchmark output in the input.");
  cmd->callback([flags, io, exit_code] { *exit_code = RunParse(*flags, io); });
}

}  // namespace benchlab::cli
