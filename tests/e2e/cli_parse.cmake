# `benchlab parse` as a user runs it: the built binary on the shared fixtures.
benchlab_test(NAME cli_parse_test SOURCES e2e/cli_parse_test.cc
  LIBS benchlab_testsupport nlohmann_json::nlohmann_json LABELS e2e)
add_dependencies(cli_parse_test benchlab)
