// Option names follow the CLI's style (dashes); help says which tool flag each sets.
#include "common/flags/tool_options.h"

namespace benchlab {

void AddToolOptions(CLI::App* cmd, ToolOptions* o, const std::string& group) {
  cmd->add_option("--threads", o->threads, "--num_threads")->check(CLI::Range(1, 64))->group(group);
  cmd->add_option("--runs", o->runs, "--num_runs (minimum timed runs)")
      ->check(CLI::PositiveNumber)
      ->group(group);
  cmd->add_option("--warmup", o->warmup, "--warmup_runs")->check(CLI::NonNegativeNumber)->group(group);
  cmd->add_flag("--use-gpu", o->use_gpu, "--use_gpu=true")->group(group);
  cmd->add_flag("--use-nnapi", o->use_nnapi, "--use_nnapi=true")->group(group);
  cmd->add_flag("--use-xnnpack", o->use_xnnpack, "--use_xnnpack=true")->group(group);
  cmd->add_flag("--op-profiling", o->op_profiling, "--enable_op_profiling=true")->group(group);
}

void ApplyToolOptions(const ToolOptions& o, benchlab::v1::BenchmarkFlags* flags) {
  if (o.threads > 0) flags->set_num_threads(o.threads);
  if (o.runs > 0) flags->set_num_runs(o.runs);
  if (o.warmup >= 0) flags->set_warmup_runs(o.warmup);
  if (o.use_gpu) flags->set_use_gpu(true);
  if (o.use_nnapi) flags->set_use_nnapi(true);
  if (o.use_xnnpack) flags->set_use_xnnpack(true);
  if (o.op_profiling) flags->set_enable_op_profiling(true);
}

}  // namespace benchlab
