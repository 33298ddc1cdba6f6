// `benchlab parse FILE|-`: reads a benchmark capture (any logcat layout, Android Studio
// paste, or benchmark_model stdout), parses it with common/benchmark_parser and prints a
// table (default) or JSON. The exit code says ok / failed run / unreadable / nothing found.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
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
                                     BenchmarkParser* parser) {
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

int RunParse(const ParseFlags& flags, const CliIo& io) {
  BenchmarkParserOptions options;
  options.package = flags.package;
  if (flags.pid >= 0) options.pid = flags.pid;
  BenchmarkParser parser(options);
  if (std::optional<std::string> error = FeedInput(flags.input, *io.in, &parser)) {
    *io.err << "benchlab parse: " << EscapeForTerminal(*error) << "\n";
    return kExitUnreadable;
  }
  parser.Finish();
  const BenchmarkResult& result = parser.result();
  if (flags.json) {
    *io.out << FormatBenchmarkJson(result) << "\n";
  } else if (flags.csv) {
    *io.out << BenchmarkCsvHeader() << "\n" << EscapeLinesForTerminal(BenchmarkCsvRow(result)) << "\n";
  } else {
    // A capture is anyone's text (a pasted log): shown, not acted on.
    *io.out << EscapeLinesForTerminal(FormatBenchmarkTable(result));
  }
  if (result.status == RunStatus::kOk) return kExitOk;
  if (result.error_class == ErrorClass::kNoResult) {
    *io.err << "benchlab parse: no benchmark output found in '" << flags.input
            << "' (expected TFLite benchmark lines: logcat, Android Studio or benchmark_model "
               "stdout)\n";
    return kExitNoResult;
  }
  *io.err << "benchlab parse: the run failed: " << ErrorClassName(result.error_class) << "\n";
  return kExitFailed;
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
      "Exit codes: 0 the run succeeded, 1 the run failed (error class and the lines that show\n"
      "why are printed), 2 usage error, 3 input unreadable, 4 no benchmark output in the input.");
  cmd->callback([flags, io, exit_code] { *exit_code = RunParse(*flags, io); });
}

}  // namespace benchlab::cli
