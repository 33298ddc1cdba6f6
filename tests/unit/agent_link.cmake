# benchlab_agent_link: outbox, backoff, artifact cache, and the session against an
# in-process fake AgentLink server (integration/agent_link_test.cc uses the real one).
if(TARGET benchlab_agent_link)
  benchlab_test(NAME agent_link_unit_test
    SOURCES unit/agent_link_outbox_test.cc unit/agent_link_backoff_test.cc
      unit/agent_link_artifact_cache_test.cc unit/agent_link_session_test.cc
    LIBS benchlab_agent_link benchlab_common benchlab_testsupport LABELS unit TIMEOUT 60)
endif()
