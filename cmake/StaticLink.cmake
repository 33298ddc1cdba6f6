# benchlab_link_static(<executable> <library>): links <executable> against <library> and
# everything it needs, taking each third-party library from its static archive (.a) when
# the Debian -dev package ships one, and keeping glibc, libstdc++ (and whatever has no .a,
# e.g. spdlog and fmt) shared.
#
# Why: the imported targets (gRPC::grpc++, protobuf::libprotobuf, absl::*, OpenSSL::*) name
# .so files, and a daemon that maps ~50 shared libraries keeps ~15 MB of their pages
# resident: text, and whole relocation tables the dynamic linker reads at start. Linked
# from archives only the objects the program uses are kept (agent_rss_bench in
# bench/README.md has the figures).
#
# Our own libraries link PUBLIC against those shared targets, so the executable cannot
# link them by name: that would bring the .so files in beside the archives and load two
# copies of protobuf ("File already exists in database" at start). Instead the link
# closure is walked once every target is defined (end of the top-level CMakeLists), and
# the executable gets plain archive paths in one --start-group/--end-group, which frees
# us from the archives' order. The usage requirements for compiling (include dirs,
# definitions, options) still come from <library> through generator expressions.
include_guard(GLOBAL)
include(CheckLinkerFlag)

# Linker options for a statically linked executable; checked once.
#  --gc-sections drops unreferenced sections; -O1 and --as-needed trim the dynamic part;
#  -z pack-relative-relocs (DT_RELR, binutils >= 2.38, glibc >= 2.36) stores the PIE's
#  relative relocations as a bitmap: ~0.8 MB of RELA entries the loader would read at start
#  become ~50 KB, while keeping the executable position-independent (ASLR).
check_linker_flag(CXX "-Wl,-z,pack-relative-relocs" BENCHLAB_HAVE_PACK_RELATIVE_RELOCS)
set(BENCHLAB_STATIC_LINK_OPTIONS -Wl,--gc-sections -Wl,-O1 -Wl,--as-needed)
if(BENCHLAB_HAVE_PACK_RELATIVE_RELOCS)
  list(APPEND BENCHLAB_STATIC_LINK_OPTIONS -Wl,-z,pack-relative-relocs)
endif()

# The .a beside a shared library file (libfoo.so.1.2.3 -> libfoo.a), or "" if none.
function(_benchlab_static_archive shared out)
  set(archive "")
  if(shared MATCHES "^(.*/lib[^/]+)\\.so(\\.[0-9.]+)?$")
    # Not in the same if(): its arguments are expanded before MATCHES sets CMAKE_MATCH_1.
    if(EXISTS "${CMAKE_MATCH_1}.a")
      set(archive "${CMAKE_MATCH_1}.a")
    endif()
  elseif(shared MATCHES "\\.a$")
    set(archive "${shared}")
  endif()
  set(${out} "${archive}" PARENT_SCOPE)
endfunction()

# The file an imported library target names (first configuration that has one).
function(_benchlab_imported_location target out)
  get_target_property(location ${target} IMPORTED_LOCATION)
  if(NOT location)
    get_target_property(configs ${target} IMPORTED_CONFIGURATIONS)
    if(configs)
      foreach(config IN LISTS configs)
        get_target_property(location ${target} IMPORTED_LOCATION_${config})
        if(location)
          break()
        endif()
      endforeach()
    endif()
  endif()
  if(NOT location)
    set(location "")
  endif()
  set(${out} "${location}" PARENT_SCOPE)
endfunction()

# Walks one link item; fills the caller's _bl_archives (our libraries and third-party .a),
# _bl_shared (targets kept shared), _bl_other (flags, -l, system names) and _bl_own (our
# targets, for build order), each in first-seen order.
macro(_benchlab_walk_item item)
  set(_it "${item}")
  if(_it MATCHES "^\\$<LINK_ONLY:(.*)>$")
    set(_it "${CMAKE_MATCH_1}")
  endif()
  if(_it MATCHES "^::@")
    # A directory marker CMake inserts around items added from another directory.
  elseif(TARGET "${_it}")
    _benchlab_walk_target("${_it}")
  elseif(_it MATCHES "^/.*\\.so(\\.[0-9.]+)?$")
    _benchlab_static_archive("${_it}" _a)
    if(_a)
      list(APPEND _bl_archives "${_a}")
    else()
      list(APPEND _bl_other "${_it}")
    endif()
  elseif(_it MATCHES "^-l(.+)$" AND NOT CMAKE_MATCH_1 IN_LIST _BENCHLAB_SYSTEM_LIBS)
    # re2 comes as -lre2 (found through pkg-config): take its archive too.
    find_library(_bl_lib_${CMAKE_MATCH_1} NAMES lib${CMAKE_MATCH_1}.a)
    if(_bl_lib_${CMAKE_MATCH_1})
      list(APPEND _bl_archives "${_bl_lib_${CMAKE_MATCH_1}}")
    else()
      list(APPEND _bl_other "${_it}")
    endif()
  else()
    list(APPEND _bl_other "${_it}")
  endif()
endmacro()

function(_benchlab_walk_target target)
  get_target_property(aliased ${target} ALIASED_TARGET)
  if(aliased)
    set(target ${aliased})
  endif()
  if(target IN_LIST _bl_seen)
    return()
  endif()
  list(APPEND _bl_seen ${target})

  get_target_property(type ${target} TYPE)
  get_target_property(imported ${target} IMPORTED)
  set(recurse TRUE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    # Headers and usage requirements only; its link items still count.
  elseif(NOT imported)
    if(NOT type STREQUAL "STATIC_LIBRARY")
      message(FATAL_ERROR "benchlab_link_static: ${target} is a ${type}; only static libraries of ours can be linked this way")
    endif()
    list(APPEND _bl_archives "$<TARGET_FILE:${target}>")
    list(APPEND _bl_own ${target})
  else()
    _benchlab_imported_location(${target} location)
    _benchlab_static_archive("${location}" archive)
    if(archive)
      list(APPEND _bl_archives "${archive}")
    else()
      # No archive (spdlog, fmt on bookworm): keep the shared library, and with it its
      # own dependencies, which the linker takes from the .so's DT_NEEDED.
      list(APPEND _bl_shared ${target})
      set(recurse FALSE)
    endif()
  endif()

  if(recurse)
    get_target_property(deps ${target} INTERFACE_LINK_LIBRARIES)
    if(deps)
      foreach(dep IN LISTS deps)
        _benchlab_walk_item("${dep}")
      endforeach()
    endif()
  endif()
  foreach(var _bl_seen _bl_archives _bl_shared _bl_other _bl_own)
    set(${var} "${${var}}" PARENT_SCOPE)
  endforeach()
endfunction()

# Deferred to the end of the top-level directory: every target_link_libraries has run.
function(_benchlab_link_static_now executable library)
  set(_bl_seen "")
  set(_bl_archives "")
  set(_bl_shared "")
  set(_bl_other "")
  set(_bl_own "")
  # Parts of glibc and gcc's runtime: they stay shared (-ldl, -lm, ...) even where libc6-dev
  # ships an archive. Set here, not at include time: this runs in the top-level scope.
  set(_BENCHLAB_SYSTEM_LIBS c dl m rt pthread util resolv atomic gcc gcc_s stdc++)
  _benchlab_walk_target(${library})
  list(REMOVE_DUPLICATES _bl_archives)
  list(REMOVE_DUPLICATES _bl_shared)
  list(REMOVE_DUPLICATES _bl_other)

  foreach(shared IN LISTS _bl_shared)
    if(shared MATCHES "^(protobuf|gRPC|absl)::")
      # One of these shared beside the archives would load two copies of them.
      message(FATAL_ERROR "benchlab_link_static: ${shared} has no static archive; configure with -DBENCHLAB_STATIC_AGENT=OFF")
    endif()
  endforeach()

  target_link_libraries(${executable} PRIVATE
    -Wl,--start-group ${_bl_archives} -Wl,--end-group ${_bl_shared} ${_bl_other})
  add_dependencies(${executable} ${_bl_own})
  list(LENGTH _bl_archives count)
  list(JOIN _bl_shared " " shared_names)
  message(STATUS "${executable}: ${count} static archives; shared: ${shared_names} libstdc++ libc")
endfunction()

function(benchlab_link_static executable library)
  foreach(prop INCLUDE_DIRECTORIES COMPILE_DEFINITIONS COMPILE_OPTIONS)
    set_property(TARGET ${executable} APPEND PROPERTY ${prop}
      "$<TARGET_PROPERTY:${library},INTERFACE_${prop}>")
  endforeach()
  target_link_options(${executable} PRIVATE ${BENCHLAB_STATIC_LINK_OPTIONS})
  # A deferred call expands ${...} when it runs, in the top-level scope: pass the names
  # already expanded.
  cmake_language(EVAL CODE "cmake_language(DEFER DIRECTORY [[${PROJECT_SOURCE_DIR}]]
    CALL _benchlab_link_static_now [[${executable}]] [[${library}]])")
endfunction()
