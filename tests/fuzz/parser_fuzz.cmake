# libFuzzer targets for the logcat splitter and the benchmark parser. Built only when the
# compiler is clang (cmake -DCMAKE_CXX_COMPILER=clang++); gcc builds skip them. The parser
# sources are compiled into each target so libFuzzer sees their coverage.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND NOT TARGET logcat_line_fuzz)
  set(BENCHLAB_PARSER_FUZZ_SOURCES
    ${PROJECT_SOURCE_DIR}/common/logcat_line.cc
    ${PROJECT_SOURCE_DIR}/common/benchmark_parser.cc
    ${PROJECT_SOURCE_DIR}/common/metrics_json.cc)
  foreach(name logcat_line_fuzz benchmark_parser_fuzz)
    add_executable(${name} ${CMAKE_CURRENT_LIST_DIR}/${name}.cc ${BENCHLAB_PARSER_FUZZ_SOURCES})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${name} PRIVATE absl::strings absl::str_format nlohmann_json::nlohmann_json)
    # A short run seeded with the fixtures, in a scratch copy (libFuzzer writes new inputs
    # into its corpus directory).
    add_test(NAME ${name}_smoke COMMAND /bin/sh -c
      "d=$(mktemp -d) && cp \"$1\"/*.logcat \"$1\"/*.txt \"$d\"/ && \"$0\" -runs=20000 -max_total_time=60 -max_len=8192 \"$d\"; rc=$?; rm -rf \"$d\"; exit $rc"
      $<TARGET_FILE:${name}> ${PROJECT_SOURCE_DIR}/tests/data)
    set_tests_properties(${name}_smoke PROPERTIES LABELS fuzz TIMEOUT 300)
  endforeach()
endif()
