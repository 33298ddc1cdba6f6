# Install rules and the Debian packages (`cpack -G DEB` in a build folder):
#   benchlab-coordinator_<version>_<arch>.deb  the coordinator, its unit, coordinator.toml
#   benchlab-agent_<version>_<arch>.deb        the agent, its unit, agent.toml; needs adb
#   benchlab_<version>_<arch>.deb              the benchlab command
# Units go to /lib/systemd/system and examples to /etc/benchlab (absolute paths: that is
# where systemd and the configs' readers look, whatever the prefix); binaries to
# <prefix>/bin (/usr/bin in the packages). Maintainer scripts (deploy/debian/<package>/)
# make the `benchlab` user and the state dirs; tests/integration/packages_test.cc checks
# the built .debs.
include_guard(GLOBAL)
include(GNUInstallDirs)
# `cmake --install` and cpack install what is built and never build "all" first: a tree
# that built only some targets (deploy/check.sh's sanitizer trees) still packs its programs.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)

set(BENCHLAB_DEPLOY ${PROJECT_SOURCE_DIR}/deploy)

install(TARGETS benchlab-coordinator RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT coordinator)
install(FILES ${BENCHLAB_DEPLOY}/systemd/benchlab-coordinator.service
        DESTINATION /lib/systemd/system COMPONENT coordinator)
install(FILES ${BENCHLAB_DEPLOY}/config/coordinator.toml DESTINATION /etc/benchlab COMPONENT coordinator)
# Docs: the top README (the secure setup from zero) as README.md, which the units name.
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/benchlab-coordinator
        COMPONENT coordinator)
install(FILES ${BENCHLAB_DEPLOY}/README.md DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/benchlab-coordinator
        RENAME deploy.md COMPONENT coordinator)

install(TARGETS benchlab-agent RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT agent)
install(FILES ${BENCHLAB_DEPLOY}/systemd/benchlab-agent.service
        DESTINATION /lib/systemd/system COMPONENT agent)
install(FILES ${BENCHLAB_DEPLOY}/config/agent.toml DESTINATION /etc/benchlab COMPONENT agent)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/benchlab-agent
        COMPONENT agent)
install(FILES ${PROJECT_SOURCE_DIR}/agent/README.md DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/benchlab-agent
        RENAME agent.md COMPONENT agent)

install(TARGETS benchlab RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)

set(CPACK_PACKAGE_NAME benchlab)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "benchlab maintainers <benchlab@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "TensorFlow Lite benchmarks on a lab of Android phones")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # RelWithDebInfo's debug info would make each package ~10x larger
set(CPACK_COMPONENTS_ALL coordinator agent cli)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # <package>_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# dpkg-shlibdeps turns the binaries' shared libraries into bookworm's package names.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Maintainer scripts 0755 and control files 0644, whatever the checkout's modes.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# benchlab_deb(COMPONENT PACKAGE SUMMARY DESCRIPTION): names a component's package and
# takes its maintainer scripts and conffiles from deploy/debian/PACKAGE/ when that exists.
function(benchlab_deb component package summary description)
  string(TOUPPER ${component} c)
  set(CPACK_DEBIAN_${c}_PACKAGE_NAME ${package} PARENT_SCOPE)
  set(CPACK_COMPONENT_${c}_DESCRIPTION "${summary}\n ${description}" PARENT_SCOPE)
  set(scripts ${BENCHLAB_DEPLOY}/debian/${package})
  if(EXISTS ${scripts})
    set(CPACK_DEBIAN_${c}_PACKAGE_CONTROL_EXTRA ${scripts}/postinst ${scripts}/prerm ${scripts}/conffiles
        PARENT_SCOPE)
  endif()
endfunction()

benchlab_deb(coordinator benchlab-coordinator
  "benchlab coordinator: schedules TFLite benchmark runs on lab phones"
  "The gRPC API, SQLite store and scheduler of a benchlab lab, with its systemd unit.")
set(CPACK_DEBIAN_COORDINATOR_PACKAGE_DEPENDS adduser)

benchlab_deb(agent benchlab-agent
  "benchlab agent: runs TFLite benchmarks on this host's USB phones"
  "Dials the benchlab coordinator and runs what it assigns, through the host's adb server.")
# adb: the host's adb server, which the agent starts and talks to.
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS "adb, adduser")
set(CPACK_DEBIAN_AGENT_PACKAGE_RECOMMENDS android-sdk-platform-tools-common)

benchlab_deb(cli benchlab
  "benchlab: the command-line client of a benchlab lab"
  "Submits benchmark jobs, follows them and shows devices, results and logs.")

include(CPack)
