// Provenance of a run (run_provenance.h).
#include "agent/run/run_provenance.h"

namespace benchlab::agent {

namespace v1 = benchlab::v1;

v1::RunProvenance MakeRunProvenance(const RunRequest& request, const RunOutcome& outcome) {
  v1::RunProvenance p;
  const bool native = request.tool == v1::TOOL_KIND_NATIVE || request.tool == v1::TOOL_KIND_LITERT;
  p.set_tool(native ? request.tool : v1::TOOL_KIND_APK);
  p.set_tool_sha256(native ? request.binary_sha256 : request.apk_sha256);
  p.set_model_sha256(request.model_sha256);
  // The conditions before the start hold `getprop ro.build.fingerprint` and, for the APK,
  // `dumpsys package`'s versionName/versionCode of the installed (so the run's) APK.
  const v1::RunConditions& before = outcome.conditions.before();
  p.set_build_fingerprint(before.build_fingerprint());
  // The native benchmark_model binaries print no version of their own: their sha256 is it.
  if (!native) {
    p.set_tool_version(before.apk_version_name());
    if (before.has_apk_version_code()) p.set_apk_version_code(before.apk_version_code());
  }
  return p;
}

}  // namespace benchlab::agent
