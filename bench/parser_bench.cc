// Throughput of the logcat line splitter and of the full benchmark parser on one core,
// over a large synthetic capture built by repeating the fixtures (tests/data) in memory.
// Usage: parser_bench [--lines N] [--data DIR]   (default 10,000,000 lines, tests/data)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/benchmark_parser.h"
#include "common/logcat_line.h"

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t CountLines(absl::string_view s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  size_t target_lines = 10'000'000;
  std::string data_dir = BENCHLAB_TEST_DATA_DIR;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--lines") == 0 && i + 1 < argc) {
      target_lines = std::strtoull(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
      data_dir = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--lines N] [--data DIR]\n", argv[0]);
      return 2;
    }
  }

  // One run per fixture; the capture is these runs repeated until it holds target_lines.
  const char* fixtures[] = {"01_cpu_xnnpack_2024.logcat", "02_gpu_opencl_peakmem_2026.logcat",
                            "04_op_profiling_cpu_2024.logcat", "05_fail_model_not_found.logcat",
                            "06_crash_java_fatal_exception_no_args.logcat",
                            "10_android_studio_format.txt"};
  std::vector<std::string> runs;
  for (const char* f : fixtures) {
    std::string text = ReadFile(data_dir + "/" + f);
    if (text.empty()) {
      std::fprintf(stderr, "parser_bench: cannot read %s/%s (pass --data DIR)\n", data_dir.c_str(), f);
      return 1;
    }
    if (text.back() != '\n') text.push_back('\n');
    runs.push_back(std::move(text));
  }
  std::string capture;
  std::vector<size_t> run_ends;  // offsets where each run ends, for the full parse
  size_t lines = 0;
  for (size_t i = 0; lines < target_lines; ++i) {
    const std::string& run = runs[i % runs.size()];
    capture += run;
    run_ends.push_back(capture.size());
    lines += CountLines(run);
  }
  std::printf("capture: %zu lines, %.1f MB, %zu runs\n", lines, capture.size() / 1e6,
              run_ends.size());

  // 1. Logcat line splitting alone (newline scan + ParseLogcatLine).
  {
    auto start = std::chrono::steady_clock::now();
    uint64_t checksum = 0;
    size_t n = 0;
    absl::string_view rest = capture;
    benchlab::LogcatLine l;
    while (!rest.empty()) {
      const char* nl = static_cast<const char*>(std::memchr(rest.data(), '\n', rest.size()));
      size_t len = nl ? static_cast<size_t>(nl - rest.data()) : rest.size();
      benchlab::ParseLogcatLine(rest.substr(0, len), &l);
      checksum += static_cast<uint64_t>(l.pid) + l.message.size();
      ++n;
      rest.remove_prefix(nl ? len + 1 : len);
    }
    double s = Seconds(start);
    std::printf("split: %zu lines in %.3f s = %.2f M lines/s (%.0f MB/s) [checksum %llu]\n", n, s,
                n / s / 1e6, capture.size() / s / 1e6, static_cast<unsigned long long>(checksum));
  }

  // 2. Full parse: one BenchmarkParser per run, fed the run's bytes, as the agent does.
  {
    auto start = std::chrono::steady_clock::now();
    size_t ok = 0, failed = 0;
    size_t begin = 0;
    for (size_t end : run_ends) {
      benchlab::BenchmarkParser parser;
      parser.FeedBytes(absl::string_view(capture).substr(begin, end - begin));
      parser.Finish();
      if (parser.result().status == benchlab::RunStatus::kOk) ++ok; else ++failed;
      begin = end;
    }
    double s = Seconds(start);
    std::printf("parse: %zu lines in %.3f s = %.2f M lines/s (%.0f MB/s) [%zu ok, %zu failed runs]\n",
                lines, s, lines / s / 1e6, capture.size() / s / 1e6, ok, failed);
  }
  return 0;
}
