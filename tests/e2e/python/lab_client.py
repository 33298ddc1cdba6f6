#!/usr/bin/python3
"""A Python client of benchlab's Lab API, as another service would write one.

Uses Debian's python3-grpcio and stubs generated from proto/benchlab/v1 by
python3-grpc-tools (the build puts them in <build>/python; pass --stubs DIR).

    lab_client.py --coordinator 127.0.0.1:7443 --stubs build/python \
        submit --model m.tflite --apk benchmark.apk --repeat 2 --threads 4
    # a TLS coordinator with a token (as the benchlab CLI: env or flags)
    BENCHLAB_TLS_CA=ca.pem BENCHLAB_TOKEN=... lab_client.py --coordinator lab.example:7443 \
        --stubs build/python submit --model m.tflite --apk benchmark.apk

Uploads the model and APK, submits a job on every device, follows WatchJob until every
run is final, and prints one JSON document: the job, its runs and their metrics.
Exit status: 0 when every run is done, 1 when some failed, 2 on an API error.
"""
import argparse
import hashlib
import json
import os
import sys


def load_stubs(stubs_dir):
    sys.path.insert(0, stubs_dir)
    from benchlab.v1 import lab_pb2, lab_pb2_grpc, common_pb2  # noqa: E402
    return lab_pb2, lab_pb2_grpc, common_pb2


def upload(stub, lab_pb2, common_pb2, path, kind, metadata):
    data = open(path, "rb").read()
    sha = hashlib.sha256(data).hexdigest()

    def requests():
        header = lab_pb2.UploadArtifactRequest.Header(
            kind=kind, sha256=sha, size_bytes=len(data), name=os.path.basename(path))
        yield lab_pb2.UploadArtifactRequest(header=header)
        for i in range(0, len(data), 256 * 1024):
            yield lab_pb2.UploadArtifactRequest(chunk=data[i:i + 256 * 1024])

    return stub.UploadArtifact(requests(), metadata=metadata, timeout=60).artifact


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--coordinator", default=os.environ.get("BENCHLAB_COORDINATOR", "127.0.0.1:7443"))
    p.add_argument("--stubs", required=True, help="folder with the generated benchlab/v1 stubs")
    p.add_argument("--token", default=os.environ.get("BENCHLAB_TOKEN", ""))
    p.add_argument("--tls-ca", default=os.environ.get("BENCHLAB_TLS_CA", ""),
                   help="CA of the coordinator's certificate (PEM); TLS when set")
    p.add_argument("--tls-server-name", default=os.environ.get("BENCHLAB_TLS_SERVER_NAME", ""),
                   help="name the coordinator's certificate carries, when it differs from the host dialled")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("submit")
    s.add_argument("--model", required=True)
    s.add_argument("--apk", required=True)
    s.add_argument("--repeat", type=int, default=1)
    s.add_argument("--threads", type=int, default=0)
    s.add_argument("--timeout", type=int, default=120)
    args = p.parse_args()

    import grpc
    lab_pb2, lab_pb2_grpc, common_pb2 = load_stubs(args.stubs)
    from google.protobuf import json_format

    metadata = [("authorization", "Bearer " + args.token)] if args.token else []
    if args.tls_ca:
        with open(args.tls_ca, "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        options = [("grpc.ssl_target_name_override", args.tls_server_name)] if args.tls_server_name else []
        channel = grpc.secure_channel(args.coordinator, creds, options=options)
    else:
        channel = grpc.insecure_channel(args.coordinator)  # the coordinator allows it on loopback only
    stub = lab_pb2_grpc.LabStub(channel)
    try:
        model = upload(stub, lab_pb2, common_pb2, args.model, common_pb2.ARTIFACT_KIND_MODEL, metadata)
        apk = upload(stub, lab_pb2, common_pb2, args.apk, common_pb2.ARTIFACT_KIND_APK, metadata)
        spec = lab_pb2.JobSpec(description="python client", model_sha256=model.sha256,
                               apk_sha256=apk.sha256, repeats=args.repeat,
                               timeout_s=args.timeout)
        spec.selector.all = True
        if args.threads:
            spec.flags.num_threads = args.threads
        job = stub.SubmitJob(lab_pb2.SubmitJobRequest(spec=spec), metadata=metadata, timeout=30).job
        runs = {}
        updates = 0
        for msg in stub.WatchJob(lab_pb2.WatchJobRequest(job_id=job.job_id), metadata=metadata,
                                 timeout=args.timeout * 4):
            updates += 1
            for run in msg.runs:
                runs[run.run_id] = run
            if msg.job.finished_unix_ms:
                job = msg.job
                break
    except grpc.RpcError as e:
        print(json.dumps({"error": e.code().name, "message": e.details()}))
        return 2

    out = {
        "job_id": job.job_id,
        "watch_messages": updates,
        "runs_total": job.runs_total,
        "runs_done": job.runs_done,
        "runs_failed": job.runs_failed,
        "runs": [json_format.MessageToDict(r, preserving_proto_field_name=True)
                 for r in sorted(runs.values(), key=lambda r: r.run_id)],
    }
    print(json.dumps(out, indent=1))
    return 0 if job.runs_done == job.runs_total else 1


if __name__ == "__main__":
    sys.exit(main())
