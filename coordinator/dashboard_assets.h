// The dashboard's pages, script and style sheet, built into the binary from
// coordinator/dashboard/ (cmake/EmbedFiles.cmake writes the table at build time): the
// coordinator fetches nothing from the network and needs no files beside it.
#ifndef BENCHLAB_COORDINATOR_DASHBOARD_ASSETS_H_
#define BENCHLAB_COORDINATOR_DASHBOARD_ASSETS_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace benchlab::coordinator {

struct DashboardAsset {
  const char* name;  // file name in coordinator/dashboard/, e.g. "app.js"
  const unsigned char* data;
  size_t size;
  absl::string_view text() const { return {reinterpret_cast<const char*>(data), size}; }
};

// nullptr when there is no such file.
const DashboardAsset* FindDashboardAsset(absl::string_view name);

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_DASHBOARD_ASSETS_H_
