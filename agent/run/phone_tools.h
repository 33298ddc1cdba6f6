// What the phone's release can do for an install, found once per phone (per adb transport,
// one shell call): its SDK, because `pm install -g` (grant runtime permissions) exists
// only from 6.0 and 5.x's pm refuses it ("Error: Unknown option: -g"); and its hash tool,
// to tell whether the installed APK is ours so the same APK is not installed again. The
// phone hashes its copy with the best tool its release has:
//   sha256sum  Android 8.0+ (toybox built with libcrypto)
//   md5sum     Android 6.0-7.1 (toybox without libcrypto: md5sum and sha1sum only)
//   md5        Android 5.x (toolbox's md5; same "hex  path" line)
// and the agent hashes its own file the same way (the request's SHA-256, or MD5 of the
// local file).
//
// Threading: thread-safe.
#ifndef BENCHLAB_AGENT_RUN_PHONE_TOOLS_H_
#define BENCHLAB_AGENT_RUN_PHONE_TOOLS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/adb/adb_client.h"

namespace benchlab::agent {

enum class PhoneHashTool { kNone, kSha256sum, kMd5sum, kToolboxMd5 };

// "sha256sum", "md5sum", "md5", "none".
absl::string_view PhoneHashToolName(PhoneHashTool tool);

struct PhoneTools {
  int sdk = 0;  // ro.build.version.sdk; 0 when unreadable (then taken as a current phone)
  PhoneHashTool hash_tool = PhoneHashTool::kNone;
};

// One shell call: getprop, then each hash tool; the first the shell finds (exit not
// 127/126) is kept, kNone when it has none of them. An adb error comes back as is.
absl::StatusOr<PhoneTools> ProbePhoneTools(adb::AdbClient& adb, const std::string& serial,
                                           absl::Time deadline);
// The cached probe of this phone (probing on first use).
absl::StatusOr<PhoneTools> PhoneToolsFor(adb::AdbClient& adb, const std::string& serial,
                                         absl::Time deadline);

// The package manager flags of the agent's install: -r -d, and -g from Android 6.0.
std::vector<std::string> InstallArgsFor(const PhoneTools& tools);

// Whether the phone's `remote` has the content of the local `local_path`, whose SHA-256
// is `local_sha256`, hashed with `tools.hash_tool`. False (never an error) when the phone
// has no hash tool or cannot read `remote`; an adb error comes back as is.
absl::StatusOr<bool> PhoneFileMatches(adb::AdbClient& adb, const std::string& serial,
                                      const PhoneTools& tools, const std::string& remote,
                                      const std::string& local_path,
                                      const std::string& local_sha256, absl::Time deadline);

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_RUN_PHONE_TOOLS_H_
