// The public Lab service (callback API). Every call checks the caller's bearer token
// first; streams are reactors with one write in flight and bounded queues.
#ifndef BENCHLAB_COORDINATOR_LAB_SERVICE_H_
#define BENCHLAB_COORDINATOR_LAB_SERVICE_H_

#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "benchlab/v1/lab.grpc.pb.h"
#include "coordinator/audit_log.h"
#include "coordinator/auth.h"
#include "coordinator/core.h"
#include "coordinator/history.h"

namespace benchlab::coordinator {

// absl::Status -> grpc::Status with the same code and message.
grpc::Status ToGrpc(const absl::Status& s);

// An open WatchJob or StreamLogs call, as the service ends it at shutdown.
class LabStream {
 public:
  virtual ~LabStream() = default;
  // Finishes the call with UNAVAILABLE "shutting down" (after a write in flight). Must not block.
  virtual void EndForShutdown() = 0;
};

// The open streams, so that shutdown ends them with UNAVAILABLE (clients redial at once)
// rather than the CANCELLED a server shutdown gives.
class LabStreams {
 public:
  // False once shutdown began: the caller ends its call at once.
  bool Add(std::weak_ptr<LabStream> stream) ABSL_LOCKS_EXCLUDED(mu_);
  void EndAll() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::Mutex mu_;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::weak_ptr<LabStream>> streams_ ABSL_GUARDED_BY(mu_);
};

class LabService final : public benchlab::v1::Lab::CallbackService {
 public:
  LabService(Core* core, const TokenAuth* auth)
      : core_(core), auth_(auth), history_(core->store()), audit_(core->store(), core->clock()) {}
  // The coordinator is stopping: open WatchJob and StreamLogs calls end UNAVAILABLE
  // "shutting down", and new ones are refused the same way.
  void BeginShutdown() { streams_.EndAll(); }

  grpc::ServerUnaryReactor* GetArtifact(grpc::CallbackServerContext* ctx,
                                        const benchlab::v1::GetArtifactRequest* req,
                                        benchlab::v1::GetArtifactResponse* resp) override;
  grpc::ServerUnaryReactor* ListAgents(grpc::CallbackServerContext* ctx, const benchlab::v1::ListAgentsRequest* req,
                                       benchlab::v1::ListAgentsResponse* resp) override;
  grpc::ServerUnaryReactor* ListDevices(grpc::CallbackServerContext* ctx,
                                        const benchlab::v1::ListDevicesRequest* req,
                                        benchlab::v1::ListDevicesResponse* resp) override;
  grpc::ServerReadReactor<benchlab::v1::UploadArtifactRequest>* UploadArtifact(
      grpc::CallbackServerContext* ctx, benchlab::v1::UploadArtifactResponse* resp) override;
  grpc::ServerUnaryReactor* SubmitJob(grpc::CallbackServerContext* ctx, const benchlab::v1::SubmitJobRequest* req,
                                      benchlab::v1::SubmitJobResponse* resp) override;
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* ctx, const benchlab::v1::GetJobRequest* req,
                                   benchlab::v1::GetJobResponse* resp) override;
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* ctx, const benchlab::v1::ListJobsRequest* req,
                                     benchlab::v1::ListJobsResponse* resp) override;
  grpc::ServerWriteReactor<benchlab::v1::WatchJobResponse>* WatchJob(
      grpc::CallbackServerContext* ctx, const benchlab::v1::WatchJobRequest* req) override;
  grpc::ServerUnaryReactor* CancelJob(grpc::CallbackServerContext* ctx, const benchlab::v1::CancelJobRequest* req,
                                      benchlab::v1::CancelJobResponse* resp) override;
  grpc::ServerUnaryReactor* GetResults(grpc::CallbackServerContext* ctx,
                                       const benchlab::v1::GetResultsRequest* req,
                                       benchlab::v1::GetResultsResponse* resp) override;
  grpc::ServerUnaryReactor* CompareJobs(grpc::CallbackServerContext* ctx,
                                        const benchlab::v1::CompareJobsRequest* req,
                                        benchlab::v1::CompareJobsResponse* resp) override;
  grpc::ServerWriteReactor<benchlab::v1::LogBatch>* StreamLogs(grpc::CallbackServerContext* ctx,
                                                               const benchlab::v1::StreamLogsRequest* req) override;
  // History (coordinator/history.h): read role, answered from the Store.
  grpc::ServerUnaryReactor* GetHistory(grpc::CallbackServerContext* ctx, const benchlab::v1::GetHistoryRequest* req,
                                       benchlab::v1::GetHistoryResponse* resp) override;
  grpc::ServerUnaryReactor* ListRegressions(grpc::CallbackServerContext* ctx,
                                            const benchlab::v1::ListRegressionsRequest* req,
                                            benchlab::v1::ListRegressionsResponse* resp) override;
  // Device care and the audit log (device_care.cc, audit_log.h): admin role, each change
  // recorded in the audit log.
  grpc::ServerUnaryReactor* DrainDevice(grpc::CallbackServerContext* ctx, const benchlab::v1::DrainDeviceRequest* req,
                                        benchlab::v1::DeviceCareResponse* resp) override;
  grpc::ServerUnaryReactor* UndrainDevice(grpc::CallbackServerContext* ctx,
                                          const benchlab::v1::UndrainDeviceRequest* req,
                                          benchlab::v1::DeviceCareResponse* resp) override;
  grpc::ServerUnaryReactor* SetDeviceMaintenance(grpc::CallbackServerContext* ctx,
                                                 const benchlab::v1::SetDeviceMaintenanceRequest* req,
                                                 benchlab::v1::DeviceCareResponse* resp) override;
  grpc::ServerUnaryReactor* ForgetDevice(grpc::CallbackServerContext* ctx, const benchlab::v1::ForgetDeviceRequest* req,
                                         benchlab::v1::ForgetDeviceResponse* resp) override;
  grpc::ServerUnaryReactor* ListAudit(grpc::CallbackServerContext* ctx, const benchlab::v1::ListAuditRequest* req,
                                      benchlab::v1::ListAuditResponse* resp) override;
  grpc::ServerUnaryReactor* ListArtifacts(grpc::CallbackServerContext* ctx,
                                          const benchlab::v1::ListArtifactsRequest* req,
                                          benchlab::v1::ListArtifactsResponse* resp) override;
  grpc::ServerUnaryReactor* PinArtifact(grpc::CallbackServerContext* ctx, const benchlab::v1::PinArtifactRequest* req,
                                        benchlab::v1::PinArtifactResponse* resp) override;

 private:
  Core* core_;
  const TokenAuth* auth_;
  History history_;
  AuditLog audit_;
  LabStreams streams_;
};

}  // namespace benchlab::coordinator

#endif  // BENCHLAB_COORDINATOR_LAB_SERVICE_H_
