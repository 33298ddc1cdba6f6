// Loose file modes at start-up; see file_modes.h.
#include "coordinator/file_modes.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "spdlog/spdlog.h"

namespace benchlab::coordinator {

std::vector<LooseFile> FindLooseModes(const std::string& data_dir, const std::vector<std::string>& secret_files,
                                      const std::vector<std::string>& secret_whats) {
  std::vector<LooseFile> out;
  struct stat st;
  if (!data_dir.empty() && ::stat(data_dir.c_str(), &st) == 0 && (st.st_mode & S_IRWXO) != 0) {
    out.push_back({data_dir, "data dir", static_cast<unsigned>(st.st_mode & 07777), "chmod o-rwx " + data_dir});
  }
  for (size_t i = 0; i < secret_files.size(); ++i) {
    const std::string& path = secret_files[i];
    if (path.empty() || ::stat(path.c_str(), &st) != 0) continue;
    if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0) {
      out.push_back({path, secret_whats[i], static_cast<unsigned>(st.st_mode & 07777), "chmod 600 " + path});
    }
  }
  return out;
}

void WarnLooseModes(const std::vector<LooseFile>& loose) {
  for (const LooseFile& f : loose) {
    spdlog::warn("event=loose_permissions what=\"{}\" path={} mode={} fix=\"{}\"", f.what, f.path,
                 absl::StrFormat("%04o", f.mode), f.fix);
  }
}

}  // namespace benchlab::coordinator
