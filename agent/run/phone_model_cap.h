// At most N models per phone: after a run, the least recently used model files in the
// phone's model folder (kRemoteModelDir) beyond the cap are removed with `rm -f`, never the
// model the run just used. Last use is what this agent saw, kept in memory per phone.
#ifndef BENCHLAB_AGENT_RUN_PHONE_MODEL_CAP_H_
#define BENCHLAB_AGENT_RUN_PHONE_MODEL_CAP_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/adb/adb_client.h"

namespace benchlab::agent {

// Which of `listed` (file names in the model folder) go so that at most `max_models`
// *.tflite files stay: those this agent never used first (by name, for a stable order),
// then the least recently used by `last_use` (bigger = more recent). `keep` never goes;
// other names (folders, other files) are neither counted nor removed. Pure, for tests.
std::vector<std::string> ModelsToRemove(const std::vector<std::string>& listed,
                                        const std::map<std::string, uint64_t>& last_use,
                                        const std::string& keep, int max_models);

// Thread-safe: phone workers call it in parallel, each for its own phone.
class PhoneModelCap {
 public:
  // max_models 0: no cap (AfterRun only records the use).
  int max_models() const { return max_models_; }
  PhoneModelCap(adb::AdbClient* adb, int max_models) : adb_(adb), max_models_(max_models) {}

  // The run on `serial` used `model_name` (a file name in kRemoteModelDir): records the use
  // and, when the run pushed it (`pushed`: only a push adds a model, so a run whose model
  // was already there costs the phone nothing more), lists the folder (`ls`) and removes
  // what ModelsToRemove says, in one `rm -f` call.
  // Returns the removed paths (the daemon logs each); an adb error
  // or a failing ls/rm is returned as is (the caller logs it; the run's result stands).
  absl::StatusOr<std::vector<std::string>> AfterRun(const std::string& serial, const std::string& model_name, bool pushed,
                                                    absl::Time deadline);

 private:
  adb::AdbClient* const adb_;
  const int max_models_;
  absl::Mutex mu_;
  std::map<std::string, std::map<std::string, uint64_t>> last_use_ ABSL_GUARDED_BY(mu_);  // serial -> name -> use
  uint64_t counter_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_RUN_PHONE_MODEL_CAP_H_
