# Debian packages of an installed build: `cpack -G DEB` in the build
# directory (configure it with -DCMAKE_INSTALL_PREFIX=/usr, so that
# GNUInstallDirs picks the multiarch libdir). One package per install
# component:
#   libphotonring1     Runtime      the three shared libraries
#   libphotonring-dev  Development  headers, .so links, .a, CMake and .pc
#   photonring-tools   Tools        photon-stat
# A static-only build (BUILD_SHARED_LIBS=OFF) has no libphotonring1, and its
# -dev package stands alone. dpkg-shlibdeps derives the runtime
# dependencies (libc6, libnuma1, libhwloc15 when built with them).

set(CPACK_PACKAGE_NAME libphotonring)
set(CPACK_PACKAGE_VENDOR "The libphotonring authors")
if(NOT CPACK_PACKAGE_CONTACT)
  set(CPACK_PACKAGE_CONTACT
      "libphotonring maintainers <libphotonring@users.noreply.invalid>")
endif()
# Each package's description is this summary line, then its own text.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_GENERATOR DEB)
# The .pc files take their prefix from CMAKE_INSTALL_PREFIX at install
# time: with DESTDIR staging that is the real prefix (/usr), not the
# staging directory.
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)

if(PHOTON_SHARED)
  set(CPACK_COMPONENTS_ALL Runtime Development Tools)
else()
  set(CPACK_COMPONENTS_ALL Development Tools)
endif()
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libphotonring${PHOTON_SOVERSION})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
    "The shared libraries: libphotonring.so.${PHOTON_SOVERSION}, the ring core, and its
companions libphotonring-metrics (TSC clock, latency histogram, Prometheus
and StatsD export) and libphotonring-topology (pipelines of stage threads).")
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME libphotonring-dev)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEVELOPMENT_DESCRIPTION
    "The C11 and C++17 headers, the static libraries, the CMake package
(find_package(PhotonRing)) and the pkg-config modules photon-ring,
photon-ring-metrics and photon-ring-topology.")
set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME photonring-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION utils)
set(CPACK_COMPONENT_TOOLS_DESCRIPTION
    "The tools: photon-stat, the inspector of shared channels: segments,
publishers' liveness, consumers' positions and lag.")

# Runtime dependencies from the binaries themselves. libphotonring1 gets a
# shlibs file (and the ldconfig trigger) for the packages built against it;
# the companions' NEEDED libphotonring.so.1 is found in the build tree.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR})
# The -dev package: its own version of the shared libraries, and what
# linking the static libraries needs (the .pc files' Libs.private).
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
if(PHOTON_SHARED)
  set(CPACK_COMPONENT_DEVELOPMENT_DEPENDS Runtime)
endif()
set(photon_dev_depends "")
if(PHOTON_HAVE_NUMA)
  list(APPEND photon_dev_depends libnuma-dev)
endif()
if(PHOTON_HAVE_HWLOC)
  list(APPEND photon_dev_depends libhwloc-dev)
endif()
list(JOIN photon_dev_depends ", " CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS)

include(CPack)
