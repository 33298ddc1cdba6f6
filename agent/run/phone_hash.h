// Is the file on the phone the same as ours? Asked of the installed APK before a run, so
// the same APK is not installed again. The phone hashes its copy with the best tool its
// release has, found once per phone (per adb transport):
//   sha256sum  Android 8.0+ (toybox built with libcrypto)
//   md5sum     Android 6.0-7.1 (toybox without libcrypto: md5sum and sha1sum only)
//   md5        Android 5.x (toolbox's md5; same "hex  path" line)
// and the agent hashes its own file the same way (the request's SHA-256, or MD5 of the
// local file).
//
// Threading: thread-safe.
#ifndef BENCHLAB_AGENT_RUN_PHONE_HASH_H_
#define BENCHLAB_AGENT_RUN_PHONE_HASH_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/adb/adb_client.h"

namespace benchlab::agent {

enum class PhoneHashTool { kNone, kSha256sum, kMd5sum, kToolboxMd5 };

// "sha256sum", "md5sum", "md5", "none".
absl::string_view PhoneHashToolName(PhoneHashTool tool);

// One shell call: runs each tool and keeps the first the shell finds (exit not 127/126).
// kNone when the phone has none of them; an adb error comes back as is.
absl::StatusOr<PhoneHashTool> ProbePhoneHashTool(adb::AdbClient& adb, const std::string& serial,
                                                 absl::Time deadline);

// Whether the phone's `remote` has the content of the local `local_path`, whose SHA-256
// is `local_sha256`. False (never an error) when the phone has no hash tool or cannot
// read `remote`; an adb error comes back as is.
absl::StatusOr<bool> PhoneFileMatches(adb::AdbClient& adb, const std::string& serial,
                                      const std::string& remote, const std::string& local_path,
                                      const std::string& local_sha256, absl::Time deadline);

}  // namespace benchlab::agent

#endif  // BENCHLAB_AGENT_RUN_PHONE_HASH_H_
