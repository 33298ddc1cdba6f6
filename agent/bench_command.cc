// `benchlab-agent bench`: the four manual adb steps on one phone, done by the runner,
// without a coordinator. Prints each repeat and the median, or the classified error.
#include <algorithm>
#include <map>
#include <ostream>

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "agent/adb/adb_client.h"
#include "agent/commands.h"
#include "agent/run/benchmark_runner.h"
#include "agent/run/phone_lock.h"
#include "common/flags/benchmark_flags.h"
#include "common/flags/tool_flag_table.h"
#include "common/flags/tool_options.h"
#include "common/sha256.h"

namespace benchlab::agent {
namespace {

namespace v1 = benchlab::v1;
using google::protobuf::FieldDescriptor;

struct BenchFlags {
  std::string serial;
  std::string model;
  std::string apk;
  ToolOptions tool;
  std::vector<std::string> flags;
  int repeat = 1;
  double timeout_s = 600;
  double cooldown_s = 0;
  double cooldown_below_c = 0;
  double wait_for_phone_s = 0;
  bool json = false;
  bool result_file = true;  // issue 11: numbers from the tool's result file
};

std::string LowerName(v1::ErrorClass e) {
  return absl::AsciiStrToLower(absl::StripPrefix(v1::ErrorClass_Name(e), "ERROR_CLASS_"));
}

std::string StateName(v1::RunState s) {
  return absl::AsciiStrToLower(absl::StripPrefix(v1::RunState_Name(s), "RUN_STATE_"));
}

// The median of every scalar metric the done repeats have (proto reflection, so a field
// added to metrics.proto is covered without touching this file).
std::map<std::string, double> MedianMetrics(const std::vector<v1::BenchmarkMetrics>& runs) {
  std::map<std::string, std::vector<double>> values;
  for (const v1::BenchmarkMetrics& m : runs) {
    const auto* refl = m.GetReflection();
    std::vector<const FieldDescriptor*> fields;
    refl->ListFields(m, &fields);
    for (const FieldDescriptor* f : fields) {
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT64) {
        values[f->name()].push_back(static_cast<double>(refl->GetInt64(m, f)));
      } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
        values[f->name()].push_back(refl->GetDouble(m, f));
      }
    }
  }
  std::map<std::string, double> median;
  for (auto& [name, v] : values) {
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    median[name] = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
  return median;
}

nlohmann::ordered_json MetricsJson(const v1::BenchmarkMetrics& m) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string text;
  (void)google::protobuf::util::MessageToJsonString(m, &text, options);
  return nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

std::string Step(bool skipped, absl::Duration d) {
  return absl::StrFormat("%s %.0fms", skipped ? "skip" : "done", Ms(d));
}

std::string Num(const v1::BenchmarkMetrics& m, const char* field) {
  const auto* f = m.GetDescriptor()->FindFieldByName(field);
  const auto* r = m.GetReflection();
  if (f == nullptr || !r->HasField(m, f)) return "-";
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_INT64) return absl::StrCat(r->GetInt64(m, f));
  return absl::StrFormat("%.1f", r->GetDouble(m, f));
}

int RunBench(const BenchFlags& flags, const CommonOptions& common, const AgentIo& io) {
  // Flags first: a hostile or malformed one is refused before anything touches the phone.
  v1::BenchmarkFlags typed;
  ApplyToolOptions(flags.tool, &typed);
  for (const std::string& f : flags.flags) {
    if (absl::Status s = ParseToolFlag(f, &typed); !s.ok()) {
      *io.err << "benchlab-agent: refused: " << s.message() << "\n";
      return kExitUsage;
    }
  }
  // `bench` runs the APK: its flag table decides (common/flags/tool_flag_table.h).
  if (absl::Status s = CheckFlagsForTool(v1::TOOL_KIND_APK, typed); !s.ok()) {
    *io.err << "benchlab-agent: refused: " << s.message() << "\n";
    return kExitUsage;
  }
  auto args = RenderFlags(typed);
  if (!args.ok()) {
    *io.err << "benchlab-agent: refused: " << args.status().message() << "\n";
    return kExitUsage;
  }
  auto apk = Sha256File(flags.apk);
  auto model = Sha256File(flags.model);
  for (const auto* d : {&apk, &model}) {
    if (!d->ok()) {
      *io.err << "benchlab-agent: " << d->status().message() << "\n";
      return kExitUsage;
    }
  }

  auto adb = adb::AdbClient::ConnectLocal({.port = common.adb_port});
  std::string serial = flags.serial;
  auto devices = adb->Devices(absl::Now() + absl::Seconds(10));
  if (!devices.ok()) {
    *io.err << "benchlab-agent: " << devices.status().message() << "\n";
    return kExitAdbUnavailable;
  }
  if (serial.empty()) {
    if (devices->size() != 1) {
      *io.err << "benchlab-agent: " << devices->size()
              << " phones attached; name one with --serial (see `benchlab-agent devices`)\n";
      return kExitUsage;
    }
    serial = devices->front().serial;
  } else if (std::none_of(devices->begin(), devices->end(),
                          [&](const adb::AdbDevice& d) { return d.serial == serial; })) {
    *io.err << "benchlab-agent: no phone " << serial << " on this host's adb server\n";
    return kExitAdbUnavailable;
  }

  // The daemon's worker takes the same lock: never two runs on one phone. Held until exit.
  auto phone_lock = PhoneLock::Acquire(
      adb::ResolveAdbServerPort({.port = common.adb_port}), serial, "benchlab-agent bench",
      flags.wait_for_phone_s > 0 ? absl::Now() + absl::Seconds(flags.wait_for_phone_s)
                                 : absl::InfinitePast());
  if (!phone_lock.ok()) {
    *io.err << "benchlab-agent: " << phone_lock.status().message()
            << (flags.wait_for_phone_s > 0 ? "" : " (or pass --wait-for-phone SECONDS)") << "\n";
    return kExitAdbUnavailable;
  }

  RunRequest request{
      .serial = serial,
      .apk_path = flags.apk,
      .apk_sha256 = apk->sha256,
      .model_path = flags.model,
      .model_sha256 = model->sha256,
      .model_size_bytes = model->size_bytes,
      .args = *args,
      .timeout = absl::Seconds(flags.timeout_s),
      .cooldown_max = absl::Seconds(flags.cooldown_s),
      .cooldown_below_c = flags.cooldown_below_c,
      .result_file = flags.result_file,
  };
  if (!flags.json) {
    *io.out << absl::StrFormat("phone %s  model %s (%s)  apk %s\n", serial,
                               model->sha256.substr(0, 12), flags.model, apk->sha256.substr(0, 12));
    *io.out << absl::StrFormat("%-6s %-10s %-12s %-12s %-9s %-10s %-10s %-10s %-8s %-10s %-10s %s\n",
                               "REPEAT", "STATE", "INSTALL", "PUSH", "RUN_S", "AVG_US", "MIN_US",
                               "MAX_US", "STD_US", "INIT_US", "MEM_MB", "ERROR");
  }
  nlohmann::ordered_json runs = nlohmann::ordered_json::array();
  std::vector<v1::BenchmarkMetrics> done;
  bool failed = false;
  for (int i = 1; i <= flags.repeat; ++i) {
    BenchmarkRunner runner(adb.get());
    RunOutcome o = runner.Run(request, {});
    const bool ok = o.state == v1::RUN_STATE_DONE;
    if (ok) {
      done.push_back(o.metrics);
    } else {
      failed = true;
    }
    if (flags.json) {
      nlohmann::ordered_json r = {
          {"repeat", i},
          {"state", StateName(o.state)},
          {"timings",
           {{"install_ms", Ms(o.timings.install)}, {"install_skipped", o.timings.install_skipped},
            {"push_ms", Ms(o.timings.push)}, {"push_skipped", o.timings.push_skipped},
            {"start_ms", Ms(o.timings.start)}, {"run_ms", Ms(o.timings.run)},
            {"cooldown_ms", Ms(o.timings.cooldown)}, {"total_ms", Ms(o.timings.total)}}},
      };
      if (o.result_file_status != v1::RESULT_FILE_STATUS_UNSPECIFIED) {
        r["result_file_status"] = absl::AsciiStrToLower(
            absl::StripPrefix(v1::ResultFileStatus_Name(o.result_file_status), "RESULT_FILE_STATUS_"));
        if (!o.result_file_note.empty()) r["result_file_note"] = o.result_file_note;
      }
      if (ok) {
        r["metrics"] = MetricsJson(o.metrics);
      } else {
        r["error_class"] = LowerName(o.error_class);
        r["error_message"] = o.error_message;
        r["evidence"] = o.evidence;
      }
      runs.push_back(r);
    } else {
      *io.out << absl::StrFormat(
          "%-6d %-10s %-12s %-12s %-9.2f %-10s %-10s %-10s %-8s %-10s %-10s %s\n", i,
          StateName(o.state), Step(o.timings.install_skipped, o.timings.install),
          Step(o.timings.push_skipped, o.timings.push), absl::ToDoubleSeconds(o.timings.run),
          Num(o.metrics, "avg_us"), Num(o.metrics, "min_us"), Num(o.metrics, "max_us"),
          Num(o.metrics, "std_us"), Num(o.metrics, "init_us"), Num(o.metrics, "memory_overall_mb"),
          ok ? "" : LowerName(o.error_class));
      if (!ok) {
        *io.out << "       " << o.error_message << "\n";
        // The table shows the first lines; --json has them all.
        constexpr size_t kShown = 12;
        for (size_t k = 0; k < o.evidence.size() && k < kShown; ++k) {
          *io.out << "       | " << o.evidence[k] << "\n";
        }
        if (o.evidence.size() > kShown) {
          *io.out << "       | ... " << o.evidence.size() - kShown << " more lines (--json)\n";
        }
      }
    }
    // A lost phone or adb server will not come back for the next repeat.
    if (o.error_class == v1::ERROR_CLASS_DEVICE_LOST ||
        o.error_class == v1::ERROR_CLASS_ADB_UNAVAILABLE) {
      if (!flags.json) *io.out << "stopping: " << LowerName(o.error_class) << "\n";
      break;
    }
  }
  std::map<std::string, double> median = MedianMetrics(done);
  if (flags.json) {
    nlohmann::ordered_json doc = {{"serial", serial},
                                  {"model_sha256", model->sha256},
                                  {"apk_sha256", apk->sha256},
                                  {"args", *args},
                                  {"runs", runs},
                                  {"done", done.size()},
                                  {"median", median}};
    *io.out << doc.dump(2) << "\n";
  } else if (!done.empty()) {
    *io.out << absl::StrFormat("median of %d done: avg_us=%.1f min_us=%.0f max_us=%.0f "
                               "init_us=%.0f inference_avg_us=%.1f memory_overall_mb=%.2f\n",
                               done.size(), median["avg_us"], median["min_us"], median["max_us"],
                               median["init_us"], median["inference_avg_us"],
                               median["memory_overall_mb"]);
  }
  return failed ? kExitRunFailed : kExitOk;
}

}  // namespace

void RegisterBenchCommand(CLI::App& app, const CommonOptions& common, const AgentIo& io,
                          int* exit_code) {
  auto f = std::make_shared<BenchFlags>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "Run the benchmark on one phone of this host (no coordinator) and print metrics");
  cmd->add_option("--serial", f->serial, "The phone (adb serial); optional with one phone");
  cmd->add_option("--model", f->model, "The .tflite model")->required()->check(CLI::ExistingFile);
  cmd->add_option("--apk", f->apk, "The benchmark APK (android_aarch64_benchmark_model.apk)")
      ->required()
      ->check(CLI::ExistingFile);
  AddToolOptions(cmd, &f->tool, "Benchmark tool");
  cmd->add_option("--flag", f->flags,
                  "Any tool flag as --name=value (letters, digits and _.,:/+=- only); repeatable")
      ->allow_extra_args(false);  // `--flag --x=y` is joined to `--flag=--x=y` in agent_cli.cc
  cmd->add_option("--repeat", f->repeat, "Runs in a row")->check(CLI::Range(1, 1000));
  cmd->add_option("--timeout", f->timeout_s, "Seconds per run, install to result")
      ->check(CLI::Range(1.0, 86400.0));
  cmd->add_option("--cooldown", f->cooldown_s, "Seconds to pause after each run (max wait with --cooldown-below)");
  cmd->add_option("--cooldown-below", f->cooldown_below_c,
                  "Wait after a run until the battery is below this many degrees C");
  cmd->add_option("--wait-for-phone", f->wait_for_phone_s,
                  "Seconds to wait while another benchlab-agent (the daemon) runs on the phone; "
                  "default: refuse at once")
      ->check(CLI::Range(0.0, 86400.0));
  cmd->add_flag("--result-file,!--no-result-file", f->result_file,
                "Have the tool write its BenchmarkResult file and take the numbers from it, checked "
                "against the log (default on)");
  cmd->add_flag("--json", f->json, "JSON: every repeat, its timings, metrics or error, the median");
  cmd->callback([f, &common, io, exit_code] { *exit_code = RunBench(*f, common, io); });
}

}  // namespace benchlab::agent
