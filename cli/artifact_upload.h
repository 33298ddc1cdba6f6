// UploadArtifact as a client stream: a header with the expected SHA-256 and size, then
// the file in chunks. The Lab API has no "do you have this hash?" call, so every upload
// sends the bytes; the coordinator stores each content once and says `deduplicated`.
// TODO(cli): skip the bytes once the API can say "already held" (see cli/README.md).
#ifndef BENCHLAB_CLI_ARTIFACT_UPLOAD_H_
#define BENCHLAB_CLI_ARTIFACT_UPLOAD_H_

#include <string>

#include "benchlab/v1/lab.pb.h"
#include "cli/lab_connection.h"
#include "common/sha256.h"
#include "grpcpp/grpcpp.h"

namespace benchlab::cli {

// Uploads `path`, whose digest the caller computed (so a file changed in between is
// caught by the coordinator's hash check). Deadline: --rpc-timeout plus 2 s per MiB.
// A local read error comes back as ABORTED naming the file.
grpc::Status UploadArtifactFile(const LabConnection& conn, const std::string& path, const FileDigest& digest,
                                benchlab::v1::ArtifactKind kind, benchlab::v1::UploadArtifactResponse* response);

}  // namespace benchlab::cli

#endif  // BENCHLAB_CLI_ARTIFACT_UPLOAD_H_
