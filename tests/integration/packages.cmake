# Install, secure, package: `--version` of the four programs, `benchlab-coordinator pki`
# through a TLS lab of two agents, and the Debian packages (`cpack -G DEB`) inspected.
benchlab_test(NAME version_test SOURCES integration/version_test.cc
  LIBS benchlab_testsupport benchlab_version LABELS integration TIMEOUT 60)
add_dependencies(version_test benchlab benchlab-agent benchlab-coordinator benchlab-devsim)
benchlab_test(NAME pki_test SOURCES integration/pki_test.cc
  LIBS benchlab_testsupport absl::strings LABELS integration TIMEOUT 180)
add_dependencies(pki_test benchlab benchlab-agent benchlab-coordinator benchlab-devsim)
benchlab_test(NAME packages_test SOURCES integration/packages_test.cc
  LIBS benchlab_testsupport benchlab_version absl::strings LABELS integration TIMEOUT 180)
add_dependencies(packages_test benchlab benchlab-agent benchlab-coordinator)
# cpack packs what the build folder holds: this build's CPackConfig.cmake.
target_compile_definitions(packages_test PRIVATE BENCHLAB_CPACK_CONFIG="${PROJECT_BINARY_DIR}/CPackConfig.cmake")
