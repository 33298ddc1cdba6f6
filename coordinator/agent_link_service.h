// The AgentLink service (callback API): one Connect reactor per agent session, and
// artifact downloads with resume. Agent identity is the verified client certificate's CN;
// only a coordinator running --insecure (loopback) takes it from the hello instead.
#ifndef BENCHLAB_COORDINATOR_AGENT_LINK_SERVICE_H_
#define BENCHLAB_COORDINATOR_AGENT_LINK_SERVICE_H_

#include <memory>

#include "benchlab/v1/agent_link.grpc.pb.h"
#include "coordinator/core.h"
#include "coordinator/serial_worker.h"

namespace benchlab::coordinator {

class AgentLinkService final : public benchlab::v1::AgentLink::CallbackService {
 public:
  struct Options {
    // Take identity from AgentHello.agent_id when the peer has no certificate.
    bool allow_hello_identity = false;
    // Outbound messages queued per agent before the session is dropped (it reconnects).
    size_t max_outbound = 10000;
    size_t download_chunk_bytes = 256 * 1024;
  };
  AgentLinkService(Core* core, Options options)
      : core_(core), options_(options), worker_(std::make_unique<SerialWorker>()) {}

  grpc::ServerBidiReactor<benchlab::v1::AgentMessage, benchlab::v1::CoordinatorMessage>* Connect(
      grpc::CallbackServerContext* ctx) override;
  grpc::ServerWriteReactor<benchlab::v1::ArtifactChunk>* DownloadArtifact(
      grpc::CallbackServerContext* ctx, const benchlab::v1::DownloadArtifactRequest* req) override;

 private:
  Core* core_;
  Options options_;
  // Applies run events off gRPC's threads (see serial_worker.h); outlives every session
  // (the server is shut down before the service is destroyed).
  std::unique_ptr<SerialWorker> worker_;
};

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_AGENT_LINK_SERVICE_H_
