# The optional dependencies: libnuma (PHOTON_WITH_NUMA) and hwloc
# (PHOTON_WITH_HWLOC), each AUTO (use it when found), ON (required) or OFF.
#
# Neither ships a CMake package, so each found library becomes an imported
# target named by its full path, PhotonRing::numa / PhotonRing::hwloc.
# The installed PhotonRingConfig.cmake recreates the same targets (from
# pkg-config, or the library name hinted with the directory found here), so
# consumers of the static archive link them too.
#
# Sets PHOTON_HAVE_NUMA / PHOTON_HAVE_HWLOC (0 or 1), PHOTON_NUMA_LIBRARY /
# PHOTON_HWLOC_LIBRARY and PHOTON_NUMA_LIBDIR / PHOTON_HWLOC_LIBDIR.

set(PHOTON_WITH_NUMA AUTO CACHE STRING
    "NUMA placement through libnuma: AUTO, ON or OFF")
set_property(CACHE PHOTON_WITH_NUMA PROPERTY STRINGS AUTO ON OFF)
set(PHOTON_WITH_HWLOC AUTO CACHE STRING
    "Core affinity and topology through hwloc: AUTO, ON or OFF")
set_property(CACHE PHOTON_WITH_HWLOC PROPERTY STRINGS AUTO ON OFF)

find_package(PkgConfig QUIET)

# photon_optional_dep(NAME option pkg-config-module library header package)
macro(photon_optional_dep name option module lib header package)
  set(PHOTON_HAVE_${name} 0)
  string(TOUPPER "${${option}}" _photon_mode)
  if(NOT _photon_mode MATCHES "^(AUTO|ON|OFF)$")
    message(FATAL_ERROR "${option} must be AUTO, ON or OFF, not '${${option}}'")
  endif()
  if(NOT _photon_mode STREQUAL "OFF")
    if(PkgConfig_FOUND)
      pkg_check_modules(PHOTON_PC_${name} QUIET ${module})
    endif()
    find_library(PHOTON_${name}_LIBRARY NAMES ${lib}
                 HINTS ${PHOTON_PC_${name}_LIBRARY_DIRS})
    find_path(PHOTON_${name}_INCLUDE_DIR ${header}
              HINTS ${PHOTON_PC_${name}_INCLUDE_DIRS})
    if(PHOTON_${name}_LIBRARY AND PHOTON_${name}_INCLUDE_DIR)
      set(PHOTON_HAVE_${name} 1)
      get_filename_component(PHOTON_${name}_LIBDIR
                             "${PHOTON_${name}_LIBRARY}" DIRECTORY)
      # GLOBAL: add_subdirectory() users link the static library from
      # their own directories.
      add_library(PhotonRing::${module} UNKNOWN IMPORTED GLOBAL)
      set_target_properties(PhotonRing::${module} PROPERTIES
        IMPORTED_LOCATION "${PHOTON_${name}_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${PHOTON_${name}_INCLUDE_DIR}")
      message(STATUS "PhotonRing: ${option}: ${PHOTON_${name}_LIBRARY}")
    elseif(_photon_mode STREQUAL "ON")
      message(FATAL_ERROR "${option}=ON but ${lib} was not found "
                          "(Debian: apt-get install ${package})")
    else()
      message(STATUS "PhotonRing: ${option}: ${lib} not found, built "
                     "without it (install ${package} to enable)")
    endif()
  endif()
endmacro()

photon_optional_dep(NUMA PHOTON_WITH_NUMA numa numa numaif.h libnuma-dev)
photon_optional_dep(HWLOC PHOTON_WITH_HWLOC hwloc hwloc hwloc.h libhwloc-dev)
