// Typed fields are found by name in BenchmarkFlags' descriptor, so a field added to the
// proto is accepted by `--flag` without touching this file. The tool's --run_delay is
// the one flag whose field name differs (run_delay_secs).
#include "cli/tool_flags.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace benchlab::cli {

absl::Status ParseFlagArg(absl::string_view arg, benchlab::v1::BenchmarkFlags* flags) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("--flag '", arg, "': ", why));
  };
  if (!absl::StartsWith(arg, "--")) return bad("must look like --name=value (e.g. --flag --num_threads=4)");
  size_t eq = arg.find('=');
  if (eq == absl::string_view::npos) return bad("must look like --name=value (e.g. --flag --use_gpu=true)");
  std::string name(arg.substr(2, eq - 2));
  absl::string_view value = arg.substr(eq + 1);
  if (name.empty()) return bad("the flag name is empty");

  std::string field_name = name == "run_delay" ? "run_delay_secs" : name;
  const auto* field = benchlab::v1::BenchmarkFlags::descriptor()->FindFieldByName(field_name);
  if (field == nullptr || field->is_repeated() || name == "run_delay_secs") {
    auto* extra = flags->add_extra();
    extra->set_name(name);
    extra->set_value(std::string(value));
    return absl::OkStatus();
  }
  const auto* reflection = flags->GetReflection();
  using FD = google::protobuf::FieldDescriptor;
  switch (field->cpp_type()) {
    case FD::CPPTYPE_INT32: {
      int32_t v = 0;
      if (!absl::SimpleAtoi(value, &v)) return bad("the value must be an integer");
      reflection->SetInt32(flags, field, v);
      break;
    }
    case FD::CPPTYPE_DOUBLE: {
      double v = 0;
      if (!absl::SimpleAtod(value, &v)) return bad("the value must be a number");
      reflection->SetDouble(flags, field, v);
      break;
    }
    case FD::CPPTYPE_BOOL: {
      bool v = false;
      if (!absl::SimpleAtob(value, &v)) return bad("the value must be true or false");
      reflection->SetBool(flags, field, v);
      break;
    }
    case FD::CPPTYPE_STRING:
      reflection->SetString(flags, field, std::string(value));
      break;
    default:
      return bad("this flag cannot be set with --flag");
  }
  return absl::OkStatus();
}

}  // namespace benchlab::cli
