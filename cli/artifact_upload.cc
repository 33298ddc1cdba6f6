// GetArtifact first (nothing is sent when the coordinator holds the content), then 256
// KiB chunks: well under the coordinator's message limit and few enough messages that a
// 100 MB model costs ~400 writes.
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
  // Ask first: content the coordinator already holds is not sent again.
  {
    grpc::ClientContext ask;
    conn.PrepareUnary(&ask);
    benchlab::v1::GetArtifactRequest req;
    req.set_sha256(digest.sha256);
    benchlab::v1::GetArtifactResponse held;
    grpc::Status st = conn.lab()->GetArtifact(&ask, req, &held);
    if (st.ok() && held.artifact().kind() == kind) {
      *response->mutable_artifact() = held.artifact();
      response->set_deduplicated(true);
      return grpc::Status::OK;
    }
    // NOT_FOUND (or a coordinator without GetArtifact): upload. Anything else is final.
    if (!st.ok() && st.error_code() != grpc::StatusCode::NOT_FOUND &&
        st.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
      return st;
    }
  }
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
