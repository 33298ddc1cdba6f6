# libFuzzer targets, built only when the compiler is clang (gcc builds skip them):
#   logcat_line_fuzz, benchmark_parser_fuzz  the logcat splitter and the benchmark parser
#   devsim_adb_packet_fuzz, devsim_sync_fuzz  devsim's adb transport codec and sync: service
#   agent_adb_fuzz                            the agent's adb client: host replies, sync, shell
#   outbox_fuzz                               the agent link's outbox file reader
#   run_conditions_fuzz                       the agent's parser of a phone's conditions dump
# The code under test comes from the project's libraries; for libFuzzer to see its
# coverage they must be compiled with -fsanitize=fuzzer-no-link, as deploy/check.sh does
# (a plain clang build still builds and runs the targets, only with coverage of the
# target file alone).
#
# Each target gets a ctest `<target>_smoke` (label fuzz): a run of BENCHLAB_FUZZ_SECONDS
# (default 20) seconds, seeded from tests/data, in a scratch copy of the corpus (libFuzzer
# writes new inputs into it). A crash, leak, sanitizer report, timeout (>10 s for one
# input) or RSS over 2 GB fails it; libFuzzer leaves the input in the test's directory.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR TARGET logcat_line_fuzz)
  return()
endif()

set(_fuzz_data ${PROJECT_SOURCE_DIR}/tests/data)
# target -> library under test, seed files
set(_fuzz_targets
  "logcat_line_fuzz|benchlab_common|${_fuzz_data}/*.logcat ${_fuzz_data}/*.txt"
  "benchmark_parser_fuzz|benchlab_common|${_fuzz_data}/*.logcat ${_fuzz_data}/*.txt"
  "devsim_adb_packet_fuzz|benchlab_devsim|${_fuzz_data}/fuzz/devsim_adb_packet_fuzz/*"
  "devsim_sync_fuzz|benchlab_devsim|${_fuzz_data}/fuzz/devsim_sync_fuzz/*"
  "agent_adb_fuzz|benchlab_adb|${_fuzz_data}/fuzz/agent_adb_fuzz/*"
  "outbox_fuzz|benchlab_agent_link|${_fuzz_data}/fuzz/outbox_fuzz/*"
  "run_conditions_fuzz|benchlab_agent_run|${_fuzz_data}/fuzz/run_conditions_fuzz/*")

foreach(entry IN LISTS _fuzz_targets)
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 name)
  list(GET parts 1 lib)
  list(GET parts 2 seeds)
  if(NOT TARGET ${lib})
    continue()
  endif()
  add_executable(${name} ${CMAKE_CURRENT_LIST_DIR}/${name}.cc)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE ${lib} absl::strings absl::str_format)
  add_test(NAME ${name}_smoke COMMAND /bin/sh -c
    "d=$(mktemp -d) && cp ${seeds} \"$d\"/ && \"$0\" -max_total_time=\${BENCHLAB_FUZZ_SECONDS:-20} -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \"$d\"; rc=$?; rm -rf \"$d\"; exit $rc"
    $<TARGET_FILE:${name}>)
  # The timeout leaves room for a 10-minute run (BENCHLAB_FUZZ_SECONDS=600).
  set_tests_properties(${name}_smoke PROPERTIES LABELS fuzz TIMEOUT 900)
endforeach()
