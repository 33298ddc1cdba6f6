# The coordinator's data over the years (schema upgrade, backup, retention), through the
# built coordinator, agent, devsim and CLI.
benchlab_test(NAME coordinator_data_test SOURCES integration/coordinator_data_test.cc
  LIBS benchlab_e2esupport benchlab_proto SQLite::SQLite3 gRPC::grpc++ LABELS integration TIMEOUT 180)
add_dependencies(coordinator_data_test benchlab-coordinator benchlab-agent benchlab-devsim benchlab)
# Artifact retention (--artifact-retention-days, benchlab artifact list|pin|unpin).
benchlab_test(NAME artifact_retention_test SOURCES integration/artifact_retention_test.cc
  LIBS benchlab_e2esupport benchlab_common benchlab_proto gRPC::grpc++ LABELS integration TIMEOUT 120)
add_dependencies(artifact_retention_test benchlab-coordinator benchlab-agent benchlab-devsim benchlab)
