// Incremental parser of the TFLite benchmark tool's output (APK logcat in any layout, or
// the native benchmark_model's stdout) into a plain result struct. Feed lines as they
// arrive and look at result() at any time; see the folder README for the
// formats and §6 for the pid, completion and failure rules implemented here.
#ifndef BENCHLAB_COMMON_BENCHMARK_PARSER_H_
#define BENCHLAB_COMMON_BENCHMARK_PARSER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/line_splitter.h"
#include "common/litert_report.h"
#include "common/logcat_line.h"

namespace benchlab {

// One `count=...` stats line. A field the line did not print is unset; the short forms
// `count=1 curr=X` and `count=3 curr=X(all same)` fill first/min/max/avg with X and std
// with 0 (the tool prints them so because every value is equal).
struct LatencyStats {
  std::optional<int64_t> count;
  std::optional<int64_t> first_us;
  std::optional<int64_t> curr_us;
  std::optional<int64_t> min_us;
  std::optional<int64_t> max_us;
  std::optional<double> avg_us;
  std::optional<int64_t> std_us;
  std::optional<int64_t> p5_us;  // newest builds only
  std::optional<int64_t> median_us;
  std::optional<int64_t> p95_us;
  bool all_same = false;  // printed in the short form
};

enum class RunStatus {
  kRunning,  // nothing final seen yet
  kOk,       // summary and memory lines seen (legacy: the one summary line), no failure
  kFailed,   // see ErrorClass
};

enum class ErrorClass {
  kNone,
  kModelMissing,      // "Could not open '…'." / "Failed to mmap model"
  kModelInvalid,      // "The model is not a valid Flatbuffer buffer" / "Failed to load model" alone
  kBadFlag,           // flag parse errors, missing --graph, signature or input-shape errors
  kDelegateFailed,    // "Failed to apply … delegate." / "Disallowed CPU fallback detected."
  kAllocationFailed,  // "Failed to allocate tensors!"
  kInvokeFailed,      // "… failed to invoke." / "Failed to invoke"
  kJavaCrash,         // AndroidRuntime "FATAL EXCEPTION" in the run's process
  kNativeCrash,       // libc "Fatal signal" in the run's process
  kProcessDied,       // ActivityManager "Process … (pid N) has died" (or "Killing N:…", a
                      // force-stop or package replace) before a result
  kToolError,         // input ended after an E line that matches no class above
  kNoResult,          // input ended without any result or error line
};

absl::string_view RunStatusName(RunStatus status);    // "running", "ok", "failed"
absl::string_view ErrorClassName(ErrorClass error);  // "" for kNone, else "model_missing", ...

// "Explicitly applied GPU delegate, and the model graph will be completely executed …"
struct DelegateApplication {
  std::string name;                // "GPU", "NNAPI", "XNNPACK", "Hexagon", ...
  std::string execution;           // "completely", "partially", "not_executed"
  std::optional<int64_t> kernels;  // "partially … w/ N delegate kernels"
};

// "Replacing 31 out of 31 node(s) with delegate (TfLiteGpuDelegateV2) node, yielding 1 partitions …"
struct DelegateReplacement {
  std::string kernel;  // "TfLiteGpuDelegateV2"
  std::optional<int64_t> nodes_replaced;
  std::optional<int64_t> nodes_total;  // absent in the ~2021 wording
  std::optional<int64_t> partitions;
};

// A row of an op profile's "Run Order" table (times in ms, as printed).
struct OpProfileRow {
  std::string node_type;
  std::optional<double> first_ms;
  std::optional<double> avg_ms;
  std::optional<double> percent;
  std::optional<double> cdf_percent;
  std::optional<double> mem_kb;
  std::optional<int64_t> times_called;
  std::string name;
};

// A row of an op profile's "Summary by node type" table.
struct OpTypeRow {
  std::string node_type;
  std::optional<int64_t> count;
  std::optional<double> avg_ms;
  std::optional<double> percent;
  std::optional<double> cdf_percent;
  std::optional<double> mem_kb;
  std::optional<int64_t> times_called;
};

// One profile block ("Profiling Info for Benchmark Initialization:" or "Operator-wise
// Profiling Info for Regular Benchmark Runs:"). Its `Timings (microseconds): count=…`
// line goes to `timings`, never to the benchmark's own stats.
struct OpProfile {
  std::string title;  // the header line without the final ':'
  std::vector<OpProfileRow> run_order;
  std::vector<OpTypeRow> by_type;
  std::optional<LatencyStats> timings;
  std::optional<int64_t> nodes_executed;
  std::optional<int64_t> nodes_observed;
  // The block's messages verbatim, one per line ("\n"-joined into one buffer, so keeping
  // them costs no allocation per line); capped at max_kept_lines lines.
  std::string text;
  size_t text_lines = 0;
  bool ended = false;  // "N nodes observed" seen (logcat may cut a block off)
};

// A line the parser understood but could not read a value from.
struct Diagnostic {
  int64_t line_number = 0;  // 1-based, counting every line fed
  std::string text;         // the line (capped)
  std::string problem;      // e.g. "avg: 'x12' is not a number"
};

struct BenchmarkResult {
  RunStatus status = RunStatus::kRunning;
  ErrorClass error_class = ErrorClass::kNone;
  // True when a runner can stop reading: a result with every block the echoed flags
  // promise (peak memory, op profiles), a final failure line, a crash, the process's
  // death, or Finish(). After a failure the tool may still print a few evidence lines in
  // the same millisecond, so a runner may read on briefly.
  bool complete = false;
  bool process_died = false;

  std::optional<int64_t> pid;  // the run's process (from the start lines, else the tflite lines)
  std::string args;            // tflite_BenchmarkModelActivity "… with args: <args>"
  std::vector<std::pair<std::string, std::string>> params;  // echo "<Name>: [<value>]", in order
  std::string model_path;                                   // "Loaded model <path>"
  std::string signature;                                    // "Using signature: <key>"
  std::optional<double> model_size_mb;                      // "The input model file size (MB): X"
  std::optional<double> session_init_ms;  // "Initialized session in X ms." (rounded; prefer init_us)

  std::optional<LatencyStats> warmup;  // first count= line (after the first "Running benchmark")
  std::optional<LatencyStats> timed;   // second count= line

  std::optional<int64_t> init_us;
  std::optional<int64_t> first_inference_us;
  std::optional<double> warmup_avg_us;
  std::optional<double> inference_avg_us;
  bool legacy_summary = false;  // "Average inference timings in us: …" (2018–2020)
  std::string legacy_memory;    // text glued after it: "Overall max resident set size = …"

  std::optional<double> memory_init_mb;
  std::optional<double> memory_overall_mb;
  std::optional<double> peak_memory_mb;
  std::optional<int64_t> vm_rss_mb;  // "Memory status at the end of exeution:" block
  std::optional<int64_t> rss_anon_mb;
  std::optional<int64_t> rss_file_shmem_mb;

  // The LiteRT CompiledModel tool's BENCHMARK RESULTS block (issue 11); its times also
  // fill init_us, first_inference_us, warmup_avg_us, inference_avg_us and the memory
  // fields above (ms -> us).
  LitertReport litert;

  std::vector<std::string> delegate_lines;  // delegate-related messages verbatim (capped)
  std::vector<DelegateApplication> delegates;
  std::vector<DelegateReplacement> delegate_replacements;
  std::vector<OpProfile> op_profiles;

  std::vector<std::string> warning_lines;  // W messages of the run (capped)
  // Evidence: E/F lines of the run and crash lines, verbatim as fed (capped). Present on
  // successful runs too (partial delegation logs E lines).
  std::vector<std::string> error_lines;
  std::vector<std::string> unknown_lines;  // accepted lines no rule matched (capped)
  int64_t unknown_line_count = 0;
  std::vector<Diagnostic> diagnostics;  // capped
  int64_t diagnostic_count = 0;

  int64_t lines_fed = 0;
  int64_t lines_ignored = 0;  // other processes, other tags, buffer switches, blank

  // The timed stats (or nullptr): what the flattened metrics count, first_us, ... are.
  const LatencyStats* main_stats() const { return timed ? &*timed : nullptr; }
  // Value of an echoed parameter by its description ("Num threads"), or nullptr.
  const std::string* param(absl::string_view name) const;
  // True when that parameter was echoed on ("[1]", "[true]"): e.g. "Use gpu".
  bool param_on(absl::string_view name) const;
};

struct BenchmarkParserOptions {
  // The benchmark app's package, for ActivityManager/AndroidRuntime lines.
  std::string package = "org.tensorflow.lite.benchmark";
  // The run's pid when the caller already knows it; otherwise it is taken from the
  // capture (tflite_BenchmarkModelActivity or "Start proc N:<package>").
  std::optional<int64_t> pid;
  // Caps on every kept list (lines, rows, diagnostics), so a runaway capture cannot grow
  // memory without bound. Counters keep counting past them.
  size_t max_kept_lines = 2000;
  size_t max_line_bytes = 4096;  // longer kept lines are cut (with a "…" marker)
};

// Feeds lines into a BenchmarkResult. Not thread-safe: one thread feeds and reads (the
// agent's logcat reader, or the CLI). Cheap per line: no allocation unless a value is kept.
//
// One parser per run. Typical use by a runner that starts logcat just before `am start`:
//   BenchmarkParser parser;                      // or {.pid = N} when the pid is known
//   for each chunk read from logcat: parser.FeedBytes(chunk);
//                                    if (parser.result().complete) break;
//   parser.Finish();                             // at the deadline, or when the stream ends
//   use parser.result(): status, error_class, error_lines, timed/warmup, init_us, ...
// The pid comes from the first start line (tflite_BenchmarkModelActivity, or
// ActivityManager "Start proc N:<package>"); until one is seen, the first process that
// prints a benchmark line is taken. Other processes' `tflite` lines are ignored.
class BenchmarkParser {
 public:
  explicit BenchmarkParser(BenchmarkParserOptions options = {});

  // One line of the capture, with or without its "\n"/"\r\n".
  void FeedLine(absl::string_view line);
  // Arbitrary chunks of the capture (as they come off a socket); lines are split here
  // and a partial last line is kept until the next chunk or Finish().
  void FeedBytes(absl::string_view bytes);
  // The input ended: flushes a partial line and settles a still-running status (a
  // result without its memory line counts as ok; otherwise kToolError or kNoResult).
  void Finish();

  const BenchmarkResult& result() const { return result_; }
  // The result is all in and only the operator-wise op profile has not ended: logcat cuts
  // a message at its ~4 KB limit, so a large profile's last line ("N nodes observed") may
  // never come. The caller decides how long to wait before finishing without it.
  bool awaiting_only_profile() const { return awaiting_only_profile_; }

 private:
  enum class ProfileSection { kNone, kRunOrder, kTop, kByType };

  void Anchor(int64_t pid);
  // The run's process is gone (ActivityManager said so): `raw` is the evidence.
  void ProcessDied(absl::string_view raw);
  void ResetRun();
  void HandleSystemLine(const LogcatLine& l, absl::string_view raw);
  bool Accept(const LogcatLine& l);
  void HandleToolMessage(const LogcatLine& l, absl::string_view raw);
  // A line of the LiteRT results block: true when it was one.
  bool HandleLitertLine(absl::string_view msg);
  bool HandleProfileLine(absl::string_view msg);
  bool ClassifyError(absl::string_view msg, char priority);
  void HandleStats(absl::string_view msg);
  bool ParseStats(absl::string_view text, LatencyStats* out);
  void HandleSummary(absl::string_view msg);
  void HandleLegacySummary(absl::string_view msg);
  void HandleMemory(absl::string_view rest);
  void HandleParam(absl::string_view name, absl::string_view value);
  void HandleDelegateApplied(absl::string_view msg);
  void HandleReplacing(absl::string_view msg);
  void UpdateCompletion();
  void Fail(ErrorClass error, bool terminal);

  bool ParseInt(absl::string_view field, absl::string_view text, std::optional<int64_t>* out);
  bool ParseDouble(absl::string_view field, absl::string_view text, std::optional<double>* out);
  void Diagnose(std::string problem);
  void Keep(std::vector<std::string>* list, absl::string_view line);

  BenchmarkParserOptions options_;
  BenchmarkResult result_;
  LineSplitter splitter_;  // FeedBytes: keeps an unfinished line between chunks

  absl::string_view current_line_;  // valid during FeedLine only
  std::optional<int64_t> anchor_pid_;
  std::optional<int64_t> soft_pid_;  // locked on the first tool line when no anchor exists
  int phases_ = 0;                   // "Running benchmark …" lines seen
  int unphased_stats_ = 0;           // count= lines seen before any phase line
  bool summary_seen_ = false;
  bool awaiting_only_profile_ = false;
  bool memory_seen_ = false;
  bool expect_peak_ = false;
  bool expect_memory_status_ = false;  // 2023+ builds print it after the peak line
  bool expect_profiles_ = false;
  bool profile_output_to_file_ = false;
  bool in_memory_status_ = false;
  bool failure_terminal_ = false;
  bool classified_error_ = false;  // the current line was a failure line
  int profile_index_ = -1;  // the block being read, in result_.op_profiles; -1 outside
  ProfileSection section_ = ProfileSection::kNone;
  bool section_has_start_column_ = false;
  std::optional<int64_t> java_crash_pid_;  // AndroidRuntime FATAL EXCEPTION not yet tied to us
  std::string pending_fatal_line_;
};

}  // namespace benchlab

#endif  // BENCHLAB_COMMON_BENCHMARK_PARSER_H_
