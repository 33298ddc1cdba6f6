// The op-level profile blocks the benchmark tool logs with --enable_op_profiling=true
// (tflite-benchmark.md §3.8): one message for initialization, one for the regular runs,
// each cut at logcat's ~4 KB payload limit as on a phone.
#ifndef BENCHLAB_DEVSIM_PHONE_OP_PROFILE_H_
#define BENCHLAB_DEVSIM_PHONE_OP_PROFILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "devsim/phone/latency_model.h"

namespace benchlab::devsim {

// `delegate_kernel` is "TfLiteXNNPackDelegate", "TfLiteGpuDelegateV2", ... or "" when the
// ops run on the builtin CPU kernels (then one row per op). Deterministic for `seed`.
std::vector<std::string> OpProfileMessages(const RunNumbers& numbers,
                                           const std::string& delegate_kernel, uint64_t seed);

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_OP_PROFILE_H_
