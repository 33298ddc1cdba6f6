// Start-up checks of who else may read the coordinator's secrets: the data dir (jobs,
// artifacts), the database, the TLS key and the tokens file. Loose modes are warned about
// (event=loose_permissions, with the chmod that fixes them), not refused: an operator
// may have reasons, but should know.
#ifndef BENCHLAB_COORDINATOR_FILE_MODES_H_
#define BENCHLAB_COORDINATOR_FILE_MODES_H_

#include <string>
#include <vector>

namespace benchlab::coordinator {

struct LooseFile {
  std::string path;
  std::string what;  // "data dir", "database", "TLS key", "tokens file"
  unsigned mode = 0;  // permission bits as found
  std::string fix;   // "chmod 600 PATH"
};

// The data dir when others may enter or read it (a group is how a packaged install shares
// it), and each file that its group or others may read. Missing paths are skipped.
std::vector<LooseFile> FindLooseModes(const std::string& data_dir, const std::vector<std::string>& secret_files,
                                      const std::vector<std::string>& secret_whats);

// Logs one warning per LooseFile.
void WarnLooseModes(const std::vector<LooseFile>& loose);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_FILE_MODES_H_
