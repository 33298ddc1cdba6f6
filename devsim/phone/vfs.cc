// In-memory file system of one phone: a sorted map from normalised path to node, so a
// directory's children are the keys that start with "<dir>/" and have no further '/'.
#include "devsim/phone/vfs.h"

#include <cerrno>
#include <unordered_map>

#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace benchlab::devsim {
namespace {

constexpr absl::string_view kNotDir = "Not a directory";
constexpr absl::string_view kIsDir = "Is a directory";
constexpr absl::string_view kNotEmpty = "Directory not empty";
constexpr absl::string_view kDenied = "Permission denied";

std::string ParentOf(const std::string& norm) {
  size_t slash = norm.rfind('/');
  if (slash == 0 || slash == std::string::npos) return "/";
  return norm.substr(0, slash);
}

std::string ChildPrefix(const std::string& dir) { return dir == "/" ? "/" : dir + "/"; }

// Process-wide interning of large file contents: a devsim process typically receives the
// same model and APK on every phone, so identical bytes are kept once (weak references:
// the bytes go away with the last file that holds them).
class ContentStore {
 public:
  static ContentStore& Get() {
    static ContentStore* store = new ContentStore();
    return *store;
  }

  std::shared_ptr<const std::string> Intern(std::string data) {
    if (data.size() < kMinBytes) return std::make_shared<const std::string>(std::move(data));
    const size_t key = absl::HashOf(absl::string_view(data));
    absl::MutexLock lock(&mu_);
    auto range = entries_.equal_range(key);
    for (auto it = range.first; it != range.second;) {
      std::shared_ptr<const std::string> existing = it->second.lock();
      if (!existing) {
        it = entries_.erase(it);
        continue;
      }
      if (*existing == data) return existing;
      ++it;
    }
    auto shared = std::make_shared<const std::string>(std::move(data));
    entries_.emplace(key, shared);
    if (entries_.size() > 2 * swept_size_ + 64) Sweep();
    return shared;
  }

 private:
  static constexpr size_t kMinBytes = 64 * 1024;

  void Sweep() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = it->second.expired() ? entries_.erase(it) : std::next(it);
    }
    swept_size_ = entries_.size();
  }

  absl::Mutex mu_;
  std::unordered_multimap<size_t, std::weak_ptr<const std::string>> entries_ ABSL_GUARDED_BY(mu_);
  size_t swept_size_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

int VfsErrno(const absl::Status& status) {
  if (status.ok()) return 0;
  if (absl::IsNotFound(status)) return ENOENT;
  if (absl::IsAlreadyExists(status)) return EEXIST;
  if (status.message() == kNotDir) return ENOTDIR;
  if (status.message() == kIsDir) return EISDIR;
  if (status.message() == kNotEmpty) return ENOTEMPTY;
  if (absl::IsPermissionDenied(status)) return EACCES;
  return EIO;
}

Vfs::Vfs() {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  nodes_["/"] = Node{true, 0755, now, nullptr};
  for (const char* dir : {"/data", "/data/app", "/data/local", "/system/bin", "/proc", "/dev",
                          "/storage/emulated/0", "/vendor", "/tmp"}) {
    MkdirPLocked(dir, 0755, now);
  }
  MkdirPLocked("/data/local/tmp", 0771, now);
  nodes_["/data/local/tmp"].perm = 0771;
  nodes_["/sdcard"] = Node{true, 0771, now, nullptr};  // a symlink on phones; a dir here
  nodes_["/dev/null"] = Node{false, 0666, now, std::make_shared<const std::string>()};
}

std::string Vfs::Normalize(absl::string_view path) {
  std::vector<absl::string_view> parts;
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  if (parts.empty()) return "/";
  std::string out;
  for (absl::string_view p : parts) absl::StrAppend(&out, "/", p);
  return out;
}

VfsStat Vfs::StatOf(const Node& n) {
  VfsStat s;
  s.is_dir = n.is_dir;
  s.mode = (n.is_dir ? kModeTypeDir : kModeTypeFile) | (n.perm & 07777);
  s.size_bytes = n.is_dir       ? 4096
                 : n.generate ? n.stat_size
                              : static_cast<int64_t>(n.data ? n.data->size() : 0);
  s.mtime = n.mtime;
  return s;
}

absl::StatusOr<VfsStat> Vfs::Stat(absl::string_view path) const {
  const std::string norm = Normalize(path);
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(norm);
  if (it == nodes_.end()) {
    // ENOTDIR when a parent is a file, as Linux says.
    absl::Status parent = CheckParentLocked(norm);
    if (!parent.ok() && !absl::IsNotFound(parent)) return parent;
    return absl::NotFoundError("No such file or directory");
  }
  return StatOf(it->second);
}

bool Vfs::Exists(absl::string_view path) const { return Stat(path).ok(); }

absl::StatusOr<std::vector<VfsEntry>> Vfs::List(absl::string_view path) const {
  const std::string norm = Normalize(path);
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(norm);
  if (it == nodes_.end()) return absl::NotFoundError("No such file or directory");
  if (!it->second.is_dir) return absl::FailedPreconditionError(kNotDir);
  std::vector<VfsEntry> out;
  const std::string prefix = ChildPrefix(norm);
  for (auto c = nodes_.lower_bound(prefix); c != nodes_.end(); ++c) {
    if (!absl::StartsWith(c->first, prefix)) break;
    if (c->first == norm) continue;
    absl::string_view rest = absl::string_view(c->first).substr(prefix.size());
    if (rest.empty() || absl::StrContains(rest, '/')) continue;
    out.push_back(VfsEntry{std::string(rest), StatOf(c->second)});
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const std::string>> Vfs::Read(absl::string_view path) const {
  const std::string norm = Normalize(path);
  absl::ReleasableMutexLock lock(&mu_);
  auto it = nodes_.find(norm);
  if (it == nodes_.end()) return absl::NotFoundError("No such file or directory");
  if (it->second.is_dir) return absl::FailedPreconditionError(kIsDir);
  if (!it->second.generate) return it->second.data;
  std::function<std::string()> generate = it->second.generate;
  lock.Release();
  return std::make_shared<const std::string>(generate());
}

absl::Status Vfs::CheckParentLocked(const std::string& norm) const {
  if (norm == "/") return absl::OkStatus();
  // Walk up to the first existing ancestor: a file there means ENOTDIR.
  std::string parent = ParentOf(norm);
  bool direct = true;
  while (true) {
    auto it = nodes_.find(parent);
    if (it != nodes_.end()) {
      if (!it->second.is_dir) return absl::FailedPreconditionError(kNotDir);
      return direct ? absl::OkStatus() : absl::NotFoundError("No such file or directory");
    }
    direct = false;
    if (parent == "/") return absl::NotFoundError("No such file or directory");
    parent = ParentOf(parent);
  }
}

void Vfs::MkdirPLocked(const std::string& norm, uint32_t perm, absl::Time now) {
  if (norm == "/") return;
  MkdirPLocked(ParentOf(norm), perm, now);
  auto [it, inserted] = nodes_.try_emplace(norm);
  if (inserted) it->second = Node{true, perm & 07777, now, nullptr};
}

absl::Status Vfs::Write(absl::string_view path, std::string data, uint32_t perm, absl::Time mtime,
                        bool make_parents) {
  const std::string norm = Normalize(path);
  auto shared = ContentStore::Get().Intern(std::move(data));
  absl::MutexLock lock(&mu_);
  if (norm == "/dev/null") return absl::OkStatus();
  auto it = nodes_.find(norm);
  if (it != nodes_.end() && it->second.is_dir) return absl::FailedPreconditionError(kIsDir);
  if (it != nodes_.end() && it->second.generate) return absl::PermissionDeniedError(kDenied);
  absl::Status parent = CheckParentLocked(norm);
  if (!parent.ok()) {
    if (!make_parents || !absl::IsNotFound(parent)) return parent;
    MkdirPLocked(ParentOf(norm), 0771, mtime);
  }
  nodes_[norm] = Node{false, perm & 07777, mtime, std::move(shared)};
  return absl::OkStatus();
}

absl::Status Vfs::Append(absl::string_view path, absl::string_view data) {
  const std::string norm = Normalize(path);
  absl::MutexLock lock(&mu_);
  if (norm == "/dev/null") return absl::OkStatus();
  auto it = nodes_.find(norm);
  if (it == nodes_.end()) {
    absl::Status parent = CheckParentLocked(norm);
    if (!parent.ok()) return parent;
    nodes_[norm] = Node{false, 0644, absl::Now(), std::make_shared<const std::string>(data)};
    return absl::OkStatus();
  }
  if (it->second.is_dir) return absl::FailedPreconditionError(kIsDir);
  if (it->second.generate) return absl::PermissionDeniedError(kDenied);
  it->second.data = std::make_shared<const std::string>(absl::StrCat(*it->second.data, data));
  it->second.mtime = absl::Now();
  return absl::OkStatus();
}

absl::Status Vfs::MkdirP(absl::string_view path, uint32_t perm) {
  const std::string norm = Normalize(path);
  absl::MutexLock lock(&mu_);
  // Refuse when any existing component is a file.
  for (std::string p = norm;; p = ParentOf(p)) {
    auto it = nodes_.find(p);
    if (it != nodes_.end()) {
      if (!it->second.is_dir) {
        return p == norm ? absl::AlreadyExistsError("File exists")
                         : absl::FailedPreconditionError(kNotDir);
      }
      break;
    }
    if (p == "/") break;
  }
  MkdirPLocked(norm, perm, absl::Now());
  return absl::OkStatus();
}

absl::Status Vfs::Remove(absl::string_view path, bool recursive) {
  const std::string norm = Normalize(path);
  absl::MutexLock lock(&mu_);
  if (norm == "/") return absl::PermissionDeniedError("Permission denied");
  auto it = nodes_.find(norm);
  if (it == nodes_.end()) return absl::NotFoundError("No such file or directory");
  if (it->second.generate) return absl::PermissionDeniedError(kDenied);
  if (it->second.is_dir) {
    const std::string prefix = norm + "/";
    if (!recursive) return absl::FailedPreconditionError(kIsDir);
    for (auto c = nodes_.lower_bound(prefix); c != nodes_.end() && absl::StartsWith(c->first, prefix);
         ++c) {
      if (c->second.generate) return absl::PermissionDeniedError(kDenied);
    }
    auto child = nodes_.lower_bound(prefix);
    while (child != nodes_.end() && absl::StartsWith(child->first, prefix)) {
      child = nodes_.erase(child);
    }
  }
  nodes_.erase(norm);
  return absl::OkStatus();
}

absl::Status Vfs::Chmod(absl::string_view path, uint32_t perm) {
  const std::string norm = Normalize(path);
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(norm);
  if (it == nodes_.end()) return absl::NotFoundError("No such file or directory");
  if (it->second.generate) return absl::PermissionDeniedError(kDenied);
  it->second.perm = perm & 07777;
  return absl::OkStatus();
}

absl::Status Vfs::AddGenerated(absl::string_view path, uint32_t perm,
                               std::function<std::string()> generate, int64_t stat_size) {
  const std::string norm = Normalize(path);
  absl::MutexLock lock(&mu_);
  auto it = nodes_.find(norm);
  if (it != nodes_.end() && it->second.is_dir) return absl::FailedPreconditionError(kIsDir);
  const absl::Time now = absl::Now();
  MkdirPLocked(ParentOf(norm), 0755, now);
  Node node{false, perm & 07777, now, nullptr};
  node.generate = std::move(generate);
  node.stat_size = stat_size;
  nodes_[norm] = std::move(node);
  return absl::OkStatus();
}

int64_t Vfs::total_file_bytes() const {
  absl::MutexLock lock(&mu_);
  int64_t total = 0;
  for (const auto& [path, node] : nodes_) {
    if (!node.is_dir && node.data) total += static_cast<int64_t>(node.data->size());
  }
  return total;
}

}  // namespace benchlab::devsim
