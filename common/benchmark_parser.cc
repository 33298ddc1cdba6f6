// The benchmark parser's state machine. Each line is split by ParseLogcatLine, routed by
// tag and pid, then dispatched on the message's first byte to a handful of prefix
// checks; values are read straight out of the line's string_view.
#include "common/benchmark_parser.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace benchlab {
namespace {

constexpr absl::string_view kToolTag = "tflite";
// LITERT_LOG's logcat tag: the LiteRT CompiledModel tool's own lines.
constexpr absl::string_view kLitertTag = "litert";
constexpr absl::string_view kActivityTag = "tflite_BenchmarkModelActivity";

bool Consume(absl::string_view* s, absl::string_view prefix) {
  return absl::ConsumePrefix(s, prefix);
}

bool IsTrue(absl::string_view v) { return v == "1" || v == "true" || v == "True"; }

// Value of `--name=` in a whitespace-split args string ("" when absent).
absl::string_view FlagValue(absl::string_view args, absl::string_view name) {
  for (absl::string_view token : absl::StrSplit(args, ' ', absl::SkipEmpty())) {
    absl::ConsumePrefix(&token, "\"");
    absl::ConsumeSuffix(&token, "\"");
    if (absl::ConsumePrefix(&token, "--") && absl::ConsumePrefix(&token, name) &&
        absl::ConsumePrefix(&token, "=")) {
      return token;
    }
  }
  return absl::string_view();
}

// Spaces and tabs only; inline (the packaged abseil's helpers are out-of-line calls).
absl::string_view TrimSpaces(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

absl::string_view Quoted(absl::string_view s, size_t max = 80) {
  return s.size() > max ? s.substr(0, max) : s;
}

}  // namespace

absl::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning: return "running";
    case RunStatus::kOk: return "ok";
    case RunStatus::kFailed: return "failed";
  }
  return "unknown";
}

absl::string_view ErrorClassName(ErrorClass error) {
  switch (error) {
    case ErrorClass::kNone: return "";
    case ErrorClass::kModelMissing: return "model_missing";
    case ErrorClass::kModelInvalid: return "model_invalid";
    case ErrorClass::kBadFlag: return "bad_flag";
    case ErrorClass::kDelegateFailed: return "delegate_failed";
    case ErrorClass::kAllocationFailed: return "allocation_failed";
    case ErrorClass::kInvokeFailed: return "invoke_failed";
    case ErrorClass::kJavaCrash: return "java_crash";
    case ErrorClass::kNativeCrash: return "native_crash";
    case ErrorClass::kProcessDied: return "process_died";
    case ErrorClass::kToolError: return "tool_error";
    case ErrorClass::kNoResult: return "no_result";
  }
  return "unknown";
}

const std::string* BenchmarkResult::param(absl::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return &value;
  }
  return nullptr;
}

bool BenchmarkResult::param_on(absl::string_view name) const {
  const std::string* v = param(name);
  return v != nullptr && IsTrue(*v);
}

BenchmarkParser::BenchmarkParser(BenchmarkParserOptions options) : options_(std::move(options)) {
  if (options_.pid) {
    anchor_pid_ = options_.pid;
    result_.pid = options_.pid;
  }
}

// ---- input ------------------------------------------------------------------------

void BenchmarkParser::FeedBytes(absl::string_view bytes) {
  splitter_.Feed(bytes, [this](absl::string_view line) { FeedLine(line); });
}

void BenchmarkParser::Finish() {
  splitter_.Flush([this](absl::string_view line) { FeedLine(line); });
  if (result_.status == RunStatus::kRunning) {
    if (summary_seen_ || result_.timed) {
      result_.status = RunStatus::kOk;
    } else if (!result_.error_lines.empty()) {
      Fail(ErrorClass::kToolError, true);
    } else {
      Fail(ErrorClass::kNoResult, true);
    }
  }
  result_.complete = true;
}

void BenchmarkParser::FeedLine(absl::string_view line) {
  ++result_.lines_fed;
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  current_line_ = line;
  LogcatLine l;
  ParseLogcatLine(line, &l);
  if (l.layout == LogcatLayout::kBufferSwitch) {
    ++result_.lines_ignored;
    return;
  }
  const bool tool_tag = l.tag == kToolTag || l.tag == kLitertTag || (l.tag.empty() && l.pid < 0);
  if (!tool_tag) {
    HandleSystemLine(l, line);
    return;
  }
  if (!Accept(l)) {
    ++result_.lines_ignored;
    return;
  }
  HandleToolMessage(l, line);
}

// ---- pid logic -------------------------------------------------------------------

void BenchmarkParser::Anchor(int64_t pid) {
  if (anchor_pid_) return;  // the first start line wins; later ones are other runs
  if (soft_pid_ && *soft_pid_ != pid) ResetRun();
  anchor_pid_ = pid;
  result_.pid = pid;
}

void BenchmarkParser::ResetRun() {
  // Lines taken before the start line came from another process: forget them, keep the
  // bookkeeping of the input itself.
  BenchmarkResult fresh;
  fresh.lines_fed = result_.lines_fed;
  fresh.lines_ignored = result_.lines_ignored;
  fresh.diagnostics = std::move(result_.diagnostics);
  fresh.diagnostic_count = result_.diagnostic_count;
  result_ = std::move(fresh);
  soft_pid_.reset();
  phases_ = 0;
  unphased_stats_ = 0;
  summary_seen_ = memory_seen_ = false;
  expect_peak_ = expect_memory_status_ = expect_profiles_ = profile_output_to_file_ = false;
  in_memory_status_ = failure_terminal_ = false;
  profile_index_ = -1;
  section_ = ProfileSection::kNone;
  java_crash_pid_.reset();
  pending_fatal_line_.clear();
}

bool BenchmarkParser::Accept(const LogcatLine& l) {
  if (l.pid < 0) return true;  // native stdout or bare text: nothing to filter on
  if (anchor_pid_) return l.pid == *anchor_pid_;
  if (soft_pid_) return l.pid == *soft_pid_;
  return true;
}

void BenchmarkParser::ProcessDied(absl::string_view raw) {
  Keep(&result_.error_lines, raw);
  result_.process_died = true;
  // After a result the death is only noted; before it, it is why the run failed.
  if (result_.status != RunStatus::kOk && result_.error_class == ErrorClass::kNone) {
    Fail(ErrorClass::kProcessDied, true);
  }
  result_.complete = true;
}

void BenchmarkParser::HandleSystemLine(const LogcatLine& l, absl::string_view raw) {
  absl::string_view msg = l.message;
  if (l.tag == kActivityTag) {
    if (l.pid >= 0) Anchor(l.pid);
    if (l.pid >= 0 && anchor_pid_ && l.pid != *anchor_pid_) return;
    if (Consume(&msg, "Running TensorFlow Lite benchmark with args: ")) {
      result_.args = std::string(msg);
      if (IsTrue(FlagValue(msg, "report_peak_memory_footprint"))) expect_peak_ = true;
      if (IsTrue(FlagValue(msg, "enable_op_profiling"))) expect_profiles_ = true;
      if (!FlagValue(msg, "op_profiling_output_file").empty() ||
          !FlagValue(msg, "profiling_output_csv_file").empty()) {
        profile_output_to_file_ = true;
      }
    }
    return;
  }
  if (l.tag == "ActivityManager") {
    // "Start proc 9131:org.tensorflow.lite.benchmark/u0a241 for …"
    if (Consume(&msg, "Start proc ")) {
      size_t colon = msg.find(':');
      int64_t pid = 0;
      if (colon != absl::string_view::npos && absl::SimpleAtoi(msg.substr(0, colon), &pid)) {
        absl::string_view pkg = msg.substr(colon + 1);
        if (Consume(&pkg, options_.package) && (pkg.empty() || pkg[0] == '/' || pkg[0] == ' ')) {
          Anchor(pid);
        }
      }
      return;
    }
    // "Killing 12001:org.tensorflow.lite.benchmark/u0a241 (adj 0): stop … due to …":
    // someone force-stopped the app or replaced its package (ProcessRecord.killLocked).
    // Such a kill is never followed by "has died" (the process record is already gone),
    // so it is the run's only word of its death. Only for a known pid: `am start -S`
    // kills the previous run's process just before ours starts.
    if (result_.pid && Consume(&msg, "Killing ")) {
      size_t colon = msg.find(':');
      int64_t pid = 0;
      absl::string_view rest = colon == absl::string_view::npos ? "" : msg.substr(colon + 1);
      if (absl::SimpleAtoi(msg.substr(0, colon), &pid) && pid == *result_.pid &&
          Consume(&rest, options_.package) && (rest.empty() || rest[0] == '/' || rest[0] == ' ')) {
        ProcessDied(raw);
      }
      return;
    }
    // "Process org.tensorflow.lite.benchmark (pid 12001) has died: …"
    if (Consume(&msg, "Process ") && Consume(&msg, options_.package) && Consume(&msg, " (pid ")) {
      size_t close = msg.find(')');
      int64_t pid = 0;
      if (close != absl::string_view::npos && absl::SimpleAtoi(msg.substr(0, close), &pid) &&
          (!result_.pid || pid == *result_.pid) &&
          absl::StartsWith(msg.substr(close), ") has died")) {
        ProcessDied(raw);
      }
    }
    return;
  }
  if (l.tag == "AndroidRuntime") {
    bool ours = result_.pid && l.pid == *result_.pid;
    if (absl::StartsWith(msg, "FATAL EXCEPTION")) {
      java_crash_pid_ = l.pid;
      pending_fatal_line_ = std::string(raw);  // kept once a "Process:" line ties it to us
      if (ours) {
        Keep(&result_.error_lines, raw);
        Fail(ErrorClass::kJavaCrash, true);
      }
      return;
    }
    if (Consume(&msg, "Process: ") && Consume(&msg, options_.package) && Consume(&msg, ", PID: ")) {
      int64_t pid = 0;
      if (absl::SimpleAtoi(msg, &pid) && (!result_.pid || pid == *result_.pid)) {
        if (!result_.pid) result_.pid = pid;
        if (result_.error_class != ErrorClass::kJavaCrash && !pending_fatal_line_.empty()) {
          Keep(&result_.error_lines, pending_fatal_line_);
        }
        Fail(ErrorClass::kJavaCrash, true);
      }
    }
    if (result_.error_class == ErrorClass::kJavaCrash && java_crash_pid_ &&
        l.pid == *java_crash_pid_) {
      Keep(&result_.error_lines, raw);
    }
    return;
  }
  if (l.tag == "libc" && absl::StartsWith(msg, "Fatal signal")) {
    // "… in tid 4250 (.lite.benchmark), pid 4242 (.lite.benchmark)": the kernel keeps the
    // last 15 characters of the process name.
    absl::string_view name = options_.package;
    if (name.size() > 15) name.remove_prefix(name.size() - 15);
    bool ours = result_.pid ? (l.pid == *result_.pid ||
                               absl::StrContains(msg, absl::StrCat("pid ", *result_.pid, " ")))
                            : absl::StrContains(msg, absl::StrCat("pid ", l.pid, " (", name, ")"));
    if (ours && !result_.pid) result_.pid = l.pid;
    if (ours) {
      Keep(&result_.error_lines, raw);
      Fail(ErrorClass::kNativeCrash, true);
    }
    return;
  }
  if (l.tag == "DEBUG" && l.priority == 'F' && result_.error_class == ErrorClass::kNativeCrash) {
    Keep(&result_.error_lines, raw);  // tombstone, from crash_dump's own pid
    return;
  }
  if (l.tag == "Zygote" && Consume(&msg, "Process ") && result_.pid) {
    int64_t pid = 0;
    size_t space = msg.find(' ');
    if (space != absl::string_view::npos && absl::SimpleAtoi(msg.substr(0, space), &pid) &&
        pid == *result_.pid && absl::StartsWith(msg.substr(space), " exited due to signal")) {
      result_.process_died = true;
      if (result_.status != RunStatus::kOk && result_.error_class == ErrorClass::kNone) {
        Keep(&result_.error_lines, raw);
        Fail(ErrorClass::kProcessDied, true);
      }
      result_.complete = true;
    }
    return;
  }
  ++result_.lines_ignored;
}

// ---- the tool's own lines ------------------------------------------------------------

void BenchmarkParser::HandleToolMessage(const LogcatLine& l, absl::string_view raw) {
  absl::string_view msg = l.message;
  // Multi-line messages keep their blank lines; native stdout adds one after stats.
  if (profile_index_ >= 0 && HandleProfileLine(msg)) return;
  if (msg.empty() || (absl::ascii_isspace(msg[0]) && absl::StripAsciiWhitespace(msg).empty())) {
    ++result_.lines_ignored;
    return;
  }
  if ((msg[0] == '=' || result_.litert.started) && HandleLitertLine(msg)) {
    UpdateCompletion();
    return;
  }
  // E/F lines are evidence, except the few results logged at E (old APK summary, Firebase
  // report); bare lines (old native stderr) count when they are a known failure.
  bool evidence = l.priority == 'E' || l.priority == 'F';
  classified_error_ = false;
  if (l.priority == 'W') Keep(&result_.warning_lines, msg);

  bool tool_line = true;  // a line only the benchmark tool prints (locks the pid)
  bool handled = true;
  absl::string_view rest = msg;
  switch (msg[0]) {
    case 'c':
      if (absl::StartsWith(msg, "count=")) {
        HandleStats(msg);
      } else {
        handled = false;
      }
      break;
    case 'R':
      if (Consume(&rest, "Running benchmark for ")) {
        ++phases_;
        in_memory_status_ = false;
      } else if (absl::StartsWith(msg, "Replacing ")) {
        HandleReplacing(msg);
        tool_line = false;
      } else if (absl::StartsWith(msg, "Restored original execution plan")) {
        tool_line = false;
      } else {
        handled = false;
      }
      break;
    case 'I':
      if (absl::StartsWith(msg, "Inference timings in us: ")) {
        HandleSummary(msg);
      } else if (Consume(&rest, "Initialized session in ")) {
        absl::ConsumeSuffix(&rest, ".");
        absl::ConsumeSuffix(&rest, "ms");
        ParseDouble("session init ms", rest, &result_.session_init_ms);
      } else if (absl::StartsWith(msg, "Initialized TensorFlow Lite runtime")) {
        tool_line = false;
      } else if (absl::StartsWith(msg, "Initialized Open")) {  // OpenCL/OpenGL-based API
        Keep(&result_.delegate_lines, msg);
        tool_line = false;
      } else if (absl::StartsWith(msg, "Input tensor #")) {
        ClassifyError(msg, l.priority);
      } else {
        handled = false;
      }
      break;
    case 'A':
      if (absl::StartsWith(msg, "Average inference timings in us: ")) {
        HandleLegacySummary(msg);
        evidence = false;
      } else {
        handled = false;
      }
      break;
    case 'M':
      if (Consume(&rest, "Memory footprint delta from the start of the tool (MB): ")) {
        HandleMemory(rest);
      } else if (absl::StartsWith(msg, "Memory status at the end of ex")) {
        in_memory_status_ = true;
        expect_memory_status_ = true;
      } else {
        handled = false;
      }
      break;
    case 'P':
      if (Consume(&rest, "Peak memory footprint (MB): ")) {
        HandleMemory(rest);
      } else if (absl::StartsWith(msg, "Profiling Info for Benchmark Initialization")) {
        HandleProfileLine(msg);
      } else if (absl::StartsWith(msg, "Please specify the name of your TF Lite input file")) {
        ClassifyError(msg, l.priority);
      } else {
        handled = false;
      }
      break;
    case 'O':
      if (Consume(&rest, "Overall peak memory footprint (MB) via periodic monitoring: ")) {
        ParseDouble("peak_memory_mb", rest, &result_.peak_memory_mb);
      } else if (absl::StartsWith(msg, "Operator-wise Profiling Info for ")) {
        HandleProfileLine(msg);
      } else {
        handled = false;
      }
      break;
    case '-':
    case '+':
      if (in_memory_status_ || absl::StrContains(msg, " MB")) {
        absl::string_view body = msg.substr(1);
        size_t colon = body.rfind(':');
        if (colon == absl::string_view::npos) {
          handled = false;
          break;
        }
        absl::string_view key = absl::StripAsciiWhitespace(body.substr(0, colon));
        absl::string_view value = absl::StripAsciiWhitespace(body.substr(colon + 1));
        absl::ConsumeSuffix(&value, "MB");
        value = absl::StripAsciiWhitespace(value);
        if (key == "VmRSS") {
          ParseInt("vm_rss_mb", value, &result_.vm_rss_mb);
        } else if (key == "RssAnnon" || key == "RssAnon") {
          ParseInt("rss_anon_mb", value, &result_.rss_anon_mb);
        } else if (key == "RssFile + RssShmem") {
          ParseInt("rss_file_shmem_mb", value, &result_.rss_file_shmem_mb);
          in_memory_status_ = false;
        } else {
          handled = false;
        }
      } else {
        handled = false;
      }
      break;
    case 'T':
      if (Consume(&rest, "The input model file size (MB): ")) {
        ParseDouble("model_size_mb", rest, &result_.model_size_mb);
      } else if (absl::StartsWith(msg, "Though ")) {
        HandleDelegateApplied(msg);
      } else if (absl::StartsWith(msg, "The model is not a valid Flatbuffer")) {
        ClassifyError(msg, l.priority);
        tool_line = false;
      } else {
        handled = false;
      }
      break;
    case 'L':
      if (Consume(&rest, "Loaded model ")) {
        result_.model_path = std::string(rest);
      } else {
        handled = false;
      }
      break;
    case 'E':
      if (absl::StartsWith(msg, "Explicitly applied ")) {
        HandleDelegateApplied(msg);
      } else {
        handled = false;
      }
      break;
    case 'N':
      // "NNAPI accelerators available: […]" falls through to the parameter echo.
      handled = absl::StartsWith(msg, "Note: as the benchmark tool itself");  // fixed text
      break;
    case 'U':
      if (Consume(&rest, "Using signature: ")) {
        result_.signature = std::string(rest);
      } else {
        handled = false;
      }
      break;
    case 'r':
      handled = msg == "resolved reporter";  // 2018 builds, after "Loaded model"
      break;
    case 'S':
      if (msg == "STARTING!" || absl::StartsWith(msg, "Saving benchmark result") ||
          absl::StartsWith(msg, "Saved benchmark result")) {
        // known, no value
      } else {
        handled = false;
      }
      break;
    default:
      handled = false;
      break;
  }

  if (!handled) {
    // Rules that are not keyed on the first byte.
    size_t sep = msg.back() == ']' ? msg.find(": [") : absl::string_view::npos;
    if (ClassifyError(msg, l.priority)) {
      tool_line = false;
    } else if (sep != absl::string_view::npos) {  // "<Description>: [<value>]"
      HandleParam(absl::StripTrailingAsciiWhitespace(msg.substr(0, sep)),
                  msg.substr(sep + 3, msg.size() - sep - 4));
    } else if (absl::StrContains(msg, "delegate") || absl::StrContains(msg, "Delegate") ||
               absl::StrContains(msg, " operations will run on the ") ||
               absl::StartsWith(msg, "Following operations are not supported")) {
      Keep(&result_.delegate_lines, msg);
      tool_line = false;
    } else if (absl::StartsWith(msg, "Unconsumed cmdline flags") ||
               absl::StartsWith(msg, "Duplicate flags")) {
      // warning, kept in warning_lines
    } else if (absl::StartsWith(msg, "The Model contains ") ||
               absl::StartsWith(msg, "They are listed below") ||
               absl::StartsWith(msg, "-> Signature Key: ")) {
      // --list_signatures output
    } else if (absl::StartsWith(msg, "{\"name\": \"TFLite benchmark\"")) {
      // Firebase Game Loop report (logged at E level; values duplicate the lines above)
      evidence = false;
    } else {
      ++result_.unknown_line_count;
      Keep(&result_.unknown_lines, msg);
      tool_line = false;
    }
  }
  if (evidence || classified_error_) Keep(&result_.error_lines, raw);
  if (tool_line && l.pid >= 0 && !anchor_pid_ && !soft_pid_) {
    soft_pid_ = l.pid;
    result_.pid = l.pid;
  }
  UpdateCompletion();
}

bool BenchmarkParser::HandleLitertLine(absl::string_view msg) {
  std::string problem;
  switch (ReadLitertReportLine(msg, &result_.litert, &problem)) {
    case LitertLine::kOther:
      return false;
    case LitertLine::kBadValue:
      Diagnose(std::move(problem));
      return true;
    case LitertLine::kKnown:
      break;
  }
  // The same metrics as the classic summary, in its units (us, MB).
  const LitertReport& r = result_.litert;
  auto us = [](double ms) { return static_cast<int64_t>(ms * 1000.0 + (ms >= 0 ? 0.5 : -0.5)); };
  if (r.init_ms) result_.init_us = us(*r.init_ms);
  if (r.warmup_first_ms) result_.first_inference_us = us(*r.warmup_first_ms);
  if (r.warmup_avg_ms) result_.warmup_avg_us = *r.warmup_avg_ms * 1000.0;
  if (r.inference_avg_ms) {
    result_.inference_avg_us = *r.inference_avg_ms * 1000.0;
    summary_seen_ = true;
  }
  if (r.init_footprint_mb) result_.memory_init_mb = *r.init_footprint_mb;
  if (r.overall_footprint_mb) result_.memory_overall_mb = *r.overall_footprint_mb;
  if (r.peak_memory_mb) result_.peak_memory_mb = *r.peak_memory_mb;
  // Memory lines are optional in this block: its closing line ends the result.
  if (r.ended) memory_seen_ = true;
  return true;
}

// Failure lines (table 1.7 of tflite-benchmark.md). Returns true when `msg` is one.
bool BenchmarkParser::ClassifyError(absl::string_view msg, char priority) {
  if (priority != 'E' && priority != 'F' && priority != 0) return false;
  ErrorClass error = ErrorClass::kNone;
  bool terminal = true;
  if (absl::StartsWith(msg, "Could not open '")) {
    error = ErrorClass::kModelMissing;
    terminal = false;  // "Failed to load model" follows
  } else if (absl::StartsWith(msg, "Failed to mmap model")) {
    error = ErrorClass::kModelMissing;
  } else if (absl::StartsWith(msg, "The model is not a valid Flatbuffer")) {
    error = ErrorClass::kModelInvalid;
    terminal = false;
  } else if (absl::StartsWith(msg, "Failed to load model")) {
    error = ErrorClass::kModelInvalid;
  } else if (absl::StartsWith(msg, "Please specify the name of your TF Lite input file") ||
             absl::StartsWith(msg, "Failed to parse flag") ||
             absl::StartsWith(msg, "Signature not specified or incorrect") ||
             (absl::StartsWith(msg, "Input tensor #") && absl::StrContains(msg, " should have "))) {
    error = ErrorClass::kBadFlag;
  } else if ((absl::StartsWith(msg, "Failed to apply ") && absl::StrContains(msg, "delegate")) ||
             absl::StartsWith(msg, "Disallowed CPU fallback detected")) {
    error = ErrorClass::kDelegateFailed;
  } else if (absl::StartsWith(msg, "Failed to allocate tensors")) {
    error = ErrorClass::kAllocationFailed;
  } else if (absl::StrContains(msg, "failed to invoke") ||
             absl::StartsWith(msg, "Failed to invoke")) {
    error = ErrorClass::kInvokeFailed;
    terminal = false;  // a timed-phase failure still prints the stats and the summary
  } else if (absl::StartsWith(msg, "Benchmarking failed")) {
    error = ErrorClass::kToolError;
  } else {
    return false;
  }
  classified_error_ = true;
  Fail(error, terminal);
  return true;
}

void BenchmarkParser::Fail(ErrorClass error, bool terminal) {
  // The first class sticks (the first E line says why); a crash or death still ends it.
  if (result_.error_class == ErrorClass::kNone) result_.error_class = error;
  result_.status = RunStatus::kFailed;
  if (terminal) failure_terminal_ = true;
  if (failure_terminal_) result_.complete = true;
}

void BenchmarkParser::UpdateCompletion() {
  if (result_.status == RunStatus::kFailed && !failure_terminal_ &&
      result_.error_class != ErrorClass::kInvokeFailed && summary_seen_ && memory_seen_) {
    // A non-final error line ("Could not open '…'." of some other file) and then a full
    // result: the run went on, so it succeeded. The lines stay as evidence.
    result_.status = RunStatus::kRunning;
    result_.error_class = ErrorClass::kNone;
  }
  if (result_.status == RunStatus::kFailed) {
    if (failure_terminal_ || (summary_seen_ && memory_seen_)) result_.complete = true;
    return;
  }
  if (!summary_seen_ || !(memory_seen_ || result_.legacy_summary)) return;
  result_.status = RunStatus::kOk;
  bool peak_done = !expect_peak_ ||
                   (result_.peak_memory_mb && (!expect_memory_status_ || result_.rss_file_shmem_mb));
  bool profiles_done = !expect_profiles_ || profile_output_to_file_;
  if (!profiles_done) {
    for (const OpProfile& p : result_.op_profiles) {
      if (p.ended && absl::StartsWith(p.title, "Operator-wise")) profiles_done = true;
    }
  }
  if (peak_done && profiles_done) result_.complete = true;
  awaiting_only_profile_ = peak_done && !profiles_done;
}

// ---- values ---------------------------------------------------------------------------

void BenchmarkParser::HandleStats(absl::string_view msg) {
  LatencyStats stats;
  if (!ParseStats(msg, &stats)) return;
  if (phases_ >= 2) {
    result_.timed = stats;
  } else if (phases_ == 1) {
    result_.warmup = stats;
  } else {
    // No phase lines (a capture filtered by grep): the first is taken as the timed one
    // until a second shows that the first was the warm-up.
    if (unphased_stats_ == 1 && result_.timed) result_.warmup = result_.timed;
    result_.timed = stats;
    ++unphased_stats_;
  }
}

bool BenchmarkParser::ParseStats(absl::string_view text, LatencyStats* out) {
  bool any = false;
  // "curr=120(all same)" holds a space: cut the marker out, read the two sides.
  absl::string_view segments[2] = {text, absl::string_view()};
  constexpr absl::string_view kAllSame = "(all same)";
  if (size_t m = text.find(kAllSame); m != absl::string_view::npos) {
    out->all_same = true;
    segments[0] = text.substr(0, m);
    segments[1] = text.substr(m + kAllSame.size());
  }
  for (absl::string_view segment : segments) {
    for (absl::string_view token : absl::StrSplit(segment, ' ', absl::SkipEmpty())) {
      size_t eq = token.find('=');
      if (eq == absl::string_view::npos) {
        Diagnose(absl::StrCat("stats: unexpected token '", Quoted(token), "'"));
        continue;
      }
      absl::string_view key = token.substr(0, eq);
      absl::string_view value = token.substr(eq + 1);
      std::optional<int64_t>* field = nullptr;
      if (key == "count") {
        field = &out->count;
      } else if (key == "first") {
        field = &out->first_us;
      } else if (key == "curr") {
        field = &out->curr_us;
      } else if (key == "min") {
        field = &out->min_us;
      } else if (key == "max") {
        field = &out->max_us;
      } else if (key == "avg") {
        any |= ParseDouble("avg", value, &out->avg_us);
        continue;
      } else if (key == "std") {
        field = &out->std_us;
      } else if (key == "p5") {
        field = &out->p5_us;
      } else if (key == "median") {
        field = &out->median_us;
      } else if (key == "p95") {
        field = &out->p95_us;
      } else {
        Diagnose(absl::StrCat("stats: unknown field '", Quoted(key), "' ignored"));
        continue;
      }
      any |= ParseInt(key, value, field);
    }
  }
  if (!out->count) {
    if (any) return true;  // keep what could be read; the count's diagnostic says why
    return false;
  }
  if (out->curr_us && !out->min_us && !out->max_us && !out->avg_us && *out->count > 0) {
    // "count=1 curr=X" / "count=3 curr=X(all same)": every value was X.
    out->all_same = true;
    out->first_us = out->min_us = out->max_us = out->curr_us;
    out->avg_us = static_cast<double>(*out->curr_us);
    out->std_us = 0;
  }
  return true;
}

void BenchmarkParser::HandleSummary(absl::string_view msg) {
  absl::string_view rest = msg.substr(sizeof("Inference timings in us: ") - 1);
  for (absl::string_view part : absl::StrSplit(rest, ", ")) {
    size_t colon = part.find(": ");
    if (colon == absl::string_view::npos) {
      Diagnose(absl::StrCat("summary: cannot read '", Quoted(part), "'"));
      continue;
    }
    absl::string_view key = part.substr(0, colon);
    absl::string_view value = part.substr(colon + 2);
    if (key == "Init") {
      ParseInt("init_us", value, &result_.init_us);
    } else if (key == "First inference") {
      ParseInt("first_inference_us", value, &result_.first_inference_us);
    } else if (key == "Warmup (avg)") {
      ParseDouble("warmup_avg_us", value, &result_.warmup_avg_us);
    } else if (key == "Inference (avg)") {
      ParseDouble("inference_avg_us", value, &result_.inference_avg_us);
    } else {
      Diagnose(absl::StrCat("summary: unknown field '", Quoted(key), "' ignored"));
    }
  }
  summary_seen_ = true;
  // A lone stats line without phase lines: the summary's averages tell which phase it was.
  if (phases_ == 0 && unphased_stats_ == 1 && result_.timed && result_.timed->avg_us &&
      result_.warmup_avg_us && result_.inference_avg_us &&
      *result_.timed->avg_us != *result_.inference_avg_us &&
      *result_.timed->avg_us == *result_.warmup_avg_us) {
    result_.warmup = std::move(result_.timed);
    result_.timed.reset();
  }
}

void BenchmarkParser::HandleLegacySummary(absl::string_view msg) {
  absl::string_view rest = msg.substr(sizeof("Average inference timings in us: ") - 1);
  // "Warmup: A, Init: B, Inference: C" or "..., no stats: C"; old JNI glued
  // "Overall max resident set size = …" straight after C.
  size_t overall = rest.find("Overall ");
  if (overall != absl::string_view::npos) {
    result_.legacy_memory = std::string(rest.substr(overall));
    rest = rest.substr(0, overall);
  }
  for (absl::string_view part : absl::StrSplit(rest, ", ")) {
    size_t colon = part.find(": ");
    if (colon == absl::string_view::npos) {
      Diagnose(absl::StrCat("legacy summary: cannot read '", Quoted(part), "'"));
      continue;
    }
    absl::string_view key = part.substr(0, colon);
    absl::string_view value = absl::StripAsciiWhitespace(part.substr(colon + 2));
    if (key == "Warmup") {
      ParseDouble("warmup_avg_us", value, &result_.warmup_avg_us);
    } else if (key == "Init") {
      ParseInt("init_us", value, &result_.init_us);
    } else if (key == "Inference" || key == "no stats") {
      ParseDouble("inference_avg_us", value, &result_.inference_avg_us);
    } else {
      Diagnose(absl::StrCat("legacy summary: unknown field '", Quoted(key), "' ignored"));
    }
  }
  summary_seen_ = true;
  result_.legacy_summary = true;
}

void BenchmarkParser::HandleMemory(absl::string_view rest) {
  // "init=20.3711 overall=27.9219" (LiteRT #9899 quotes "init=156.055MB overall=178.805MB")
  for (absl::string_view token : absl::StrSplit(rest, ' ', absl::SkipEmpty())) {
    absl::ConsumeSuffix(&token, "MB");
    if (absl::ConsumePrefix(&token, "init=")) {
      ParseDouble("memory_init_mb", token, &result_.memory_init_mb);
    } else if (absl::ConsumePrefix(&token, "overall=")) {
      ParseDouble("memory_overall_mb", token, &result_.memory_overall_mb);
    } else {
      Diagnose(absl::StrCat("memory: unexpected token '", Quoted(token), "'"));
    }
  }
  memory_seen_ = true;
}

void BenchmarkParser::HandleParam(absl::string_view name, absl::string_view value) {
  if (name == "Report the peak memory footprint" && IsTrue(value)) expect_peak_ = true;
  if (name == "Enable op profiling" && IsTrue(value)) expect_profiles_ = true;
  if ((name == "Op profiling output file." || name == "CSV File to export profiling data to") &&
      !value.empty()) {
    profile_output_to_file_ = true;
  }
  if (name == "Signature to run") expect_memory_status_ = true;  // 2023+ builds
  for (auto& [key, v] : result_.params) {
    if (key == name) {
      v.assign(value.data(), value.size());  // echoed twice (--num_threads): keep the last
      return;
    }
  }
  if (result_.params.size() >= options_.max_kept_lines) return;
  result_.params.emplace_back(std::string(name), std::string(value));
}

void BenchmarkParser::HandleDelegateApplied(absl::string_view msg) {
  Keep(&result_.delegate_lines, msg);
  if (result_.delegates.size() >= options_.max_kept_lines) return;
  DelegateApplication app;
  absl::string_view rest = msg;
  if (Consume(&rest, "Explicitly applied ")) {
    size_t end = rest.find(" delegate");
    if (end != absl::string_view::npos) app.name = std::string(rest.substr(0, end));
    if (absl::StrContains(rest, "completely executed")) {
      app.execution = "completely";
    } else if (absl::StrContains(rest, "partially executed")) {
      app.execution = "partially";
      size_t w = rest.find(" w/ ");
      if (w != absl::string_view::npos) {
        absl::string_view n = rest.substr(w + 4);
        n = n.substr(0, n.find(' '));
        ParseInt("delegate kernels", n, &app.kernels);
      }
    }
  } else if (Consume(&rest, "Though ")) {
    size_t end = rest.find(" delegate");
    if (end != absl::string_view::npos) app.name = std::string(rest.substr(0, end));
    app.execution = "not_executed";
  }
  result_.delegates.push_back(std::move(app));
}

void BenchmarkParser::HandleReplacing(absl::string_view msg) {
  Keep(&result_.delegate_lines, msg);
  if (result_.delegate_replacements.size() >= options_.max_kept_lines) return;
  // "Replacing 66 out of 66 node(s) with delegate (K) node, yielding 1 partitions …"
  // "Replacing 269 node(s) with delegate (K) node, yielding 13 partitions."
  DelegateReplacement rep;
  absl::string_view rest = msg.substr(sizeof("Replacing ") - 1);
  size_t sp = rest.find(' ');
  ParseInt("nodes replaced", rest.substr(0, sp), &rep.nodes_replaced);
  rest = sp == absl::string_view::npos ? absl::string_view() : rest.substr(sp + 1);
  if (Consume(&rest, "out of ")) {
    sp = rest.find(' ');
    ParseInt("nodes total", rest.substr(0, sp), &rep.nodes_total);
  }
  size_t open = rest.find('(', rest.find("delegate"));
  size_t close = rest.find(')', open);
  if (open != absl::string_view::npos && close != absl::string_view::npos) {
    rep.kernel = std::string(rest.substr(open + 1, close - open - 1));
  }
  size_t yielding = rest.find("yielding ");
  if (yielding != absl::string_view::npos) {
    absl::string_view n = rest.substr(yielding + 9);
    ParseInt("partitions", n.substr(0, n.find(' ')), &rep.partitions);
  }
  result_.delegate_replacements.push_back(std::move(rep));
}

// ---- op profiles ----------------------------------------------------------------------

// Inside a profile block: returns true when `msg` belongs to it. A block starts with its
// title line (called from the dispatcher) and ends at "N nodes observed" or at the first
// line that cannot be part of a profile.
bool BenchmarkParser::HandleProfileLine(absl::string_view msg) {
  const bool title = absl::StartsWith(msg, "Profiling Info for ") ||
                     absl::StartsWith(msg, "Operator-wise Profiling Info for ");
  if (title) {
    if (result_.op_profiles.size() >= 64) return true;  // a runaway capture: stop collecting
    OpProfile p;
    absl::string_view t = msg;
    absl::ConsumeSuffix(&t, ":");
    p.title = std::string(t);
    result_.op_profiles.push_back(std::move(p));
    profile_index_ = static_cast<int>(result_.op_profiles.size()) - 1;
    section_ = ProfileSection::kNone;
    return true;
  }
  if (profile_index_ < 0) return false;
  OpProfile& p = result_.op_profiles[profile_index_];
  absl::string_view rest = msg;
  if (msg.empty() || msg[0] == '\t' || absl::StartsWith(msg, "=====") ||
      absl::StartsWith(msg, "Number of nodes executed: ") ||
      absl::StartsWith(msg, "Timings (microseconds): ") ||
      absl::StartsWith(msg, "Memory (bytes): ") || absl::EndsWith(msg, " nodes observed") ||
      absl::StartsWith(msg, "Primary graph") || absl::StartsWith(msg, "Subgraph (") ||
      absl::StartsWith(msg, "Delegate internal")) {
    if (p.text_lines < options_.max_kept_lines) {
      ++p.text_lines;
      p.text.append(msg.data(), std::min(msg.size(), options_.max_line_bytes));
      p.text.push_back('\n');
    }
  } else {
    profile_index_ = -1;  // not a profile line: the block is over (or was cut off)
    section_ = ProfileSection::kNone;
    return false;
  }
  if (msg.empty()) return true;
  if (msg[0] == '=') {
    if (absl::StrContains(msg, "Run Order")) {
      section_ = ProfileSection::kRunOrder;
    } else if (absl::StrContains(msg, "Top by")) {
      section_ = ProfileSection::kTop;
    } else if (absl::StrContains(msg, "Summary by node type")) {
      section_ = ProfileSection::kByType;
    } else {
      section_ = ProfileSection::kNone;
    }
    return true;
  }
  if (msg[0] == '\t') {
    if (absl::StrContains(msg, "[node type]") || absl::StrContains(msg, "[Node type]")) {
      section_has_start_column_ = absl::StrContains(msg, "[start]");
      return true;
    }
    absl::string_view cols[10];
    int n = 0;
    absl::string_view rest_cols = msg.substr(1);
    while (n < 10) {
      const char* tab = static_cast<const char*>(std::memchr(rest_cols.data(), '\t', rest_cols.size()));
      size_t len = tab ? static_cast<size_t>(tab - rest_cols.data()) : rest_cols.size();
      cols[n++] = TrimSpaces(rest_cols.substr(0, len));
      if (!tab) break;
      rest_cols.remove_prefix(len + 1);
    }
    auto pct = [](absl::string_view v) {
      absl::ConsumeSuffix(&v, "%");
      return v;
    };
    if (section_ == ProfileSection::kRunOrder) {
      int skip = section_has_start_column_ ? 1 : 0;
      if (n < 8 + skip) {
        Diagnose("op profile: run-order row has too few columns");
        return true;
      }
      if (p.run_order.size() >= options_.max_kept_lines) return true;
      OpProfileRow row;
      row.node_type = std::string(cols[0]);
      ParseDouble("first ms", cols[1 + skip], &row.first_ms);
      ParseDouble("avg ms", cols[2 + skip], &row.avg_ms);
      ParseDouble("%", pct(cols[3 + skip]), &row.percent);
      ParseDouble("cdf%", pct(cols[4 + skip]), &row.cdf_percent);
      ParseDouble("mem KB", cols[5 + skip], &row.mem_kb);
      ParseInt("times called", cols[6 + skip], &row.times_called);
      row.name = std::string(cols[7 + skip]);
      p.run_order.push_back(std::move(row));
    } else if (section_ == ProfileSection::kByType) {
      if (n < 7) {
        Diagnose("op profile: node-type row has too few columns");
        return true;
      }
      if (p.by_type.size() >= options_.max_kept_lines) return true;
      OpTypeRow row;
      row.node_type = std::string(cols[0]);
      ParseInt("count", cols[1], &row.count);
      ParseDouble("avg ms", cols[2], &row.avg_ms);
      ParseDouble("avg %", pct(cols[3]), &row.percent);
      ParseDouble("cdf %", pct(cols[4]), &row.cdf_percent);
      ParseDouble("mem KB", cols[5], &row.mem_kb);
      ParseInt("times called", cols[6], &row.times_called);
      p.by_type.push_back(std::move(row));
    }
    return true;
  }
  if (Consume(&rest, "Number of nodes executed: ")) {
    ParseInt("nodes executed", rest, &p.nodes_executed);
  } else if (Consume(&rest, "Timings (microseconds): ")) {
    LatencyStats timings;
    if (ParseStats(rest, &timings)) p.timings = timings;
  } else if (absl::EndsWith(msg, " nodes observed")) {
    ParseInt("nodes observed", msg.substr(0, msg.find(' ')), &p.nodes_observed);
    p.ended = true;
    UpdateCompletion();
  }
  return true;
}

// ---- helpers -------------------------------------------------------------------------

bool BenchmarkParser::ParseInt(absl::string_view field, absl::string_view text,
                               std::optional<int64_t>* out) {
  int64_t v = 0;
  if (!text.empty() && absl::SimpleAtoi(text, &v)) {
    *out = v;
    return true;
  }
  Diagnose(absl::StrCat(field, ": '", Quoted(text), "' is not an integer"));
  return false;
}

bool BenchmarkParser::ParseDouble(absl::string_view field, absl::string_view text,
                                  std::optional<double>* out) {
  double v = 0;
  if (!text.empty() && absl::SimpleAtod(text, &v) && std::isfinite(v)) {
    *out = v;
    return true;
  }
  Diagnose(absl::StrCat(field, ": '", Quoted(text), "' is not a number"));
  return false;
}

void BenchmarkParser::Diagnose(std::string problem) {
  ++result_.diagnostic_count;
  if (result_.diagnostics.size() >= options_.max_kept_lines) return;
  Diagnostic d;
  d.line_number = result_.lines_fed;
  absl::string_view line = current_line_;
  if (line.size() > options_.max_line_bytes) line = line.substr(0, options_.max_line_bytes);
  d.text = std::string(line);
  d.problem = std::move(problem);
  result_.diagnostics.push_back(std::move(d));
}

void BenchmarkParser::Keep(std::vector<std::string>* list, absl::string_view line) {
  if (list->size() >= options_.max_kept_lines) return;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > options_.max_line_bytes) {
    list->push_back(absl::StrCat(line.substr(0, options_.max_line_bytes), "…"));
  } else {
    list->emplace_back(line);
  }
}

}  // namespace benchlab
