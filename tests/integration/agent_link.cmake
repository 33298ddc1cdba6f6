# CoordinatorLink + Outbox + ArtifactCache against the real benchlab-coordinator binary.
if(TARGET benchlab_agent_link)
  benchlab_test(NAME agent_link_integration_test
    SOURCES integration/agent_link_test.cc
    LIBS benchlab_agent_link benchlab_common benchlab_testsupport LABELS integration TIMEOUT 120)
  add_dependencies(agent_link_integration_test benchlab-coordinator)
endif()
