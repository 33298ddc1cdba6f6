// RpcMetrics: a per-call interceptor that reads the outgoing status (PRE_SEND_STATUS).
#include "coordinator/rpc_metrics.h"

#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace benchlab::coordinator {

namespace {

class CountingInterceptor : public grpc::experimental::Interceptor {
 public:
  CountingInterceptor(RpcMetrics* metrics, std::string method) : metrics_(metrics), method_(std::move(method)) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_->Count(method_, methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  RpcMetrics* metrics_;
  std::string method_;
};

class CountingFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CountingFactory(RpcMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(grpc::experimental::ServerRpcInfo* info) override {
    return new CountingInterceptor(metrics_, info->method() == nullptr ? "" : info->method());
  }

 private:
  RpcMetrics* metrics_;
};

}  // namespace

std::string GrpcCodeName(int code) {
  static constexpr const char* kNames[] = {
      "OK",        "CANCELLED",         "UNKNOWN",        "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
      "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  if (code >= 0 && code < static_cast<int>(std::size(kNames))) return kNames[code];
  return absl::StrCat("CODE_", code);
}

void RpcMetrics::Count(const std::string& method, int code) {
  absl::MutexLock lock(&mu_);
  ++counts_[{method, code}];
}

void RpcMetrics::Collect(exposition::Families* out) const {
  exposition::Family& f = out->Counter("benchlab_rpcs_total", "gRPC calls served, by method and status code.");
  absl::MutexLock lock(&mu_);
  for (const auto& [key, n] : counts_) {
    f.Add({{"method", std::string(absl::StripPrefix(key.first, "/"))}, {"code", GrpcCodeName(key.second)}},
          static_cast<double>(n));
  }
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> RpcMetrics::InterceptorFactory() {
  return std::make_unique<CountingFactory>(this);
}

}  // namespace benchlab::coordinator
