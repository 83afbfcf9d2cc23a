# Cross build for AArch64 Linux with Debian's cross compilers, run under
# qemu-user:
#
#   apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install libcmocka-dev:arm64      # the test suite
#   apt-get install libnuma-dev:arm64 libhwloc-dev:arm64 libseccomp-dev:arm64
#   cmake -S . -B build/cross-aarch64 \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
#
# (scripts/cross.sh does all of it.) The target's libraries are Debian
# multiarch packages: they live in /usr/lib/aarch64-linux-gnu beside the
# host's, and the cross libc in /usr/aarch64-linux-gnu.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Libraries, headers and packages of the target only; programs of the host.
# "/" re-rooted keeps the multiarch directories (lib/aarch64-linux-gnu)
# reachable; no x86-64 library is ever on those paths.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config must read the target's .pc files, never the host's.
set(ENV{PKG_CONFIG_LIBDIR}
    "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# ctest and add_test() run every target program through qemu-user. When the
# multiarch libc6:arm64 is installed (it comes with any :arm64 library), its
# loader /lib/ld-linux-aarch64.so.1 and libc must be the ones used: with
# -L /usr/aarch64-linux-gnu, qemu would mix the cross libc with the
# multiarch one, and pthread_create then spins forever.
find_program(PHOTON_QEMU_AARCH64 qemu-aarch64)
if(NOT PHOTON_QEMU_AARCH64)
  message(FATAL_ERROR "qemu-aarch64 not found (Debian: apt-get install "
                      "qemu-user)")
endif()
if(EXISTS /lib/ld-linux-aarch64.so.1)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PHOTON_QEMU_AARCH64} -L /)
else()
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PHOTON_QEMU_AARCH64}
      -L /usr/aarch64-linux-gnu)
endif()
