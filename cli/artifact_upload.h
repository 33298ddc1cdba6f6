// Uploads what the coordinator lacks: Lab.GetArtifact first (then nothing is sent and the
// response says `deduplicated`), else UploadArtifact as a client stream: a header with
// the expected SHA-256 and size, then the file in chunks.
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
