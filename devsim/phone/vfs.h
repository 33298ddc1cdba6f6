// Vfs: a phone's file system, in memory. Files hold bytes, a mode and an mtime; directories
// hold nothing but their existence. Paths are absolute, '/'-separated, normalised here.
//
// Threading: every method is thread-safe (one mutex); file contents are shared immutable
// strings, so a reader keeps its snapshot while a writer replaces the file. Contents of
// 64 KB and more are interned process-wide: the same model pushed to 100 phones is held once.
#ifndef BENCHLAB_DEVSIM_PHONE_VFS_H_
#define BENCHLAB_DEVSIM_PHONE_VFS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace benchlab::devsim {

// st_mode type bits, as Linux (and adb's sync protocol) use them.
inline constexpr uint32_t kModeTypeDir = 0040000;
inline constexpr uint32_t kModeTypeFile = 0100000;

struct VfsStat {
  bool is_dir = false;
  uint32_t mode = 0;       // full st_mode: type bits | permission bits (0100644, 040771)
  int64_t size_bytes = 0;  // file length; 4096 for directories, as ext4 reports
  absl::Time mtime;
};

struct VfsEntry {
  std::string name;  // base name, no '/'
  VfsStat stat;
};

// Errors carry the Linux strerror text as the message ("No such file or directory") so a
// shell command can print "ls: /x: No such file or directory"; VfsErrno maps them back.
//   NotFound -> ENOENT, FailedPrecondition "Not a directory" -> ENOTDIR,
//   "Is a directory" -> EISDIR, "Directory not empty" -> ENOTEMPTY, AlreadyExists -> EEXIST.
int VfsErrno(const absl::Status& status);

class Vfs {
 public:
  // Creates the directories every phone has: /, /data, /data/local, /data/local/tmp (0771),
  // /data/app, /sdcard, /storage/emulated/0, /system/bin, /proc, /dev (+ /dev/null), /tmp.
  Vfs();

  // "/a//b/./c/../d/" -> "/a/b/d". Relative paths are taken from "/".
  static std::string Normalize(absl::string_view path);

  absl::StatusOr<VfsStat> Stat(absl::string_view path) const;
  bool Exists(absl::string_view path) const;
  // Entries of a directory, sorted by name, without "." and "..".
  absl::StatusOr<std::vector<VfsEntry>> List(absl::string_view path) const;
  // The bytes of a file (shared, immutable). Errors: NotFound, "Is a directory".
  absl::StatusOr<std::shared_ptr<const std::string>> Read(absl::string_view path) const;
  // Creates or replaces a file. `perm` is the permission bits (type bits are ignored).
  // The parent must exist unless make_parents (adbd's sync SEND creates parents).
  absl::Status Write(absl::string_view path, std::string data, uint32_t perm = 0644,
                     absl::Time mtime = absl::Now(), bool make_parents = false);
  absl::Status Append(absl::string_view path, absl::string_view data);
  // mkdir -p: creates missing directories; fine if it exists as a directory.
  absl::Status MkdirP(absl::string_view path, uint32_t perm = 0771);
  // rm (files) / rm -r (also directories, with everything below). "/" is refused.
  absl::Status Remove(absl::string_view path, bool recursive);
  absl::Status Chmod(absl::string_view path, uint32_t perm);

  int64_t total_file_bytes() const;

  // A file whose bytes are made at each read (procfs and sysfs: /proc/meminfo,
  // /sys/class/thermal/...): `generate` is called outside the lock, so it may take other
  // locks. Parents are created (0755). Writing, appending, chmod or removing it is refused
  // with PermissionDenied, as for the shell user on a phone. Stat reports `stat_size`
  // (sysfs says 4096, procfs 0) whatever the content.
  absl::Status AddGenerated(absl::string_view path, uint32_t perm,
                            std::function<std::string()> generate, int64_t stat_size);

 private:
  struct Node {
    bool is_dir = false;
    uint32_t perm = 0;
    absl::Time mtime;
    std::shared_ptr<const std::string> data;  // files only
    std::function<std::string()> generate;    // generated files only
    int64_t stat_size = 0;                    // generated files only
  };
  absl::Status CheckParentLocked(const std::string& norm) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MkdirPLocked(const std::string& norm, uint32_t perm, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static VfsStat StatOf(const Node& n);

  mutable absl::Mutex mu_;
  std::map<std::string, Node> nodes_ ABSL_GUARDED_BY(mu_);  // key: normalised path
};

}  // namespace benchlab::devsim

#endif  // BENCHLAB_DEVSIM_PHONE_VFS_H_
