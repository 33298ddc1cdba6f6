// The benchmark tool's command-line flags as the simulated app parses them: the JNI
// splits the args string on whitespace (no quote handling) and the tool's Flags::Parse
// matches "--name=value" tokens; what matches nothing is "unconsumed".
#ifndef BENCHLAB_DEVSIM_PHONE_BENCHMARK_FLAGS_H_
#define BENCHLAB_DEVSIM_PHONE_BENCHMARK_FLAGS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace benchlab::devsim {

struct ParsedFlags {
  // Flags given on the command line: name -> raw value text (after '=').
  std::map<std::string, std::string> given;
  std::vector<std::string> unconsumed;  // tokens no flag took
  // Set when a value did not parse: "Failed to parse flag 'NAME' against argv 'TOKEN'".
  std::string parse_error;

  bool Has(const std::string& name) const { return given.count(name) > 0; }
  std::string String(const std::string& name, const std::string& def = "") const;
  bool Bool(const std::string& name, bool def) const;
  int Int(const std::string& name, int def) const;
  double Float(const std::string& name, double def) const;
};

// Splits like the JNI (std::istream_iterator<std::string>) and parses with the classic
// tool's table, or with `litert` the LiteRT CompiledModel tool's (its own flags and
// BenchmarkModel's; the classic tool's other flags are unconsumed there, as on a phone).
ParsedFlags ParseBenchmarkArgs(absl::string_view args, bool litert = false);

// The parameter echo the tool logs (LogParams): "Log parameter values verbosely: [0]",
// then "<Description>: [<value>]" for each flag given, in the tool's order, with Graph
// and Signature to run always. One string per line.
std::vector<std::string> ParamEchoLines(const ParsedFlags& flags);

// The usage text printed after a flag parse failure (one multi-line message).
std::string UsageText();

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_BENCHMARK_FLAGS_H_
