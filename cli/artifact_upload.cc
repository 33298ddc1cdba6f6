// 256 KiB chunks: well under the coordinator's message limit and few enough messages
// that a 100 MB model costs ~400 writes.
#include "cli/artifact_upload.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"

namespace benchlab::cli {

grpc::Status UploadArtifactFile(const LabConnection& conn, const std::string& path, const FileDigest& digest,
                                benchlab::v1::ArtifactKind kind, benchlab::v1::UploadArtifactResponse* response) {
  constexpr size_t kChunkBytes = 256 * 1024;
  std::ifstream in(path, std::ios::binary);
  if (!in) return grpc::Status(grpc::StatusCode::ABORTED, absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  grpc::ClientContext ctx;
  absl::Duration budget = absl::Seconds(conn.options().rpc_timeout_s) +
                          absl::Seconds(2.0 * static_cast<double>(digest.size_bytes) / (1 << 20));
  conn.PrepareStream(&ctx, absl::Now() + budget);
  auto writer = conn.lab()->UploadArtifact(&ctx, response);
  benchlab::v1::UploadArtifactRequest header;
  header.mutable_header()->set_kind(kind);
  header.mutable_header()->set_sha256(digest.sha256);
  header.mutable_header()->set_size_bytes(static_cast<int64_t>(digest.size_bytes));
  header.mutable_header()->set_name(std::filesystem::path(path).filename().string());
  bool read_failed = false;
  if (writer->Write(header)) {
    std::vector<char> buffer(kChunkBytes);
    benchlab::v1::UploadArtifactRequest chunk;
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      std::streamsize n = in.gcount();
      if (n <= 0) break;
      chunk.set_chunk(buffer.data(), static_cast<size_t>(n));
      // A failed write means the server ended the call; Finish says why.
      if (!writer->Write(chunk)) break;
    }
    read_failed = in.bad();
  }
  if (read_failed) {
    ctx.TryCancel();
    (void)writer->Finish();
    return grpc::Status(grpc::StatusCode::ABORTED, absl::StrCat("cannot read ", path));
  }
  writer->WritesDone();
  return writer->Finish();
}

}  // namespace benchlab::cli
