# Cross build for RISC-V 64 Linux with Debian's cross compilers, run under
# qemu-user:
#
#   apt-get install gcc-riscv64-linux-gnu g++-riscv64-linux-gnu qemu-user
#   cmake -S . -B build/cross-riscv64 \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/riscv64-linux-gnu.cmake
#
# (scripts/cross.sh does it.) riscv64 is not a Debian 12 architecture: there
# is the cross libc in /usr/riscv64-linux-gnu and nothing else, so the
# library is built without libnuma and hwloc. The tests need cmocka for the
# target: scripts/cross.sh builds Debian's own cmocka source package with
# this file and installs it under PHOTON_CROSS_EXTRA_ROOT.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)

set(CMAKE_C_COMPILER riscv64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER riscv64-linux-gnu-g++)

# Only the cross libc's tree: the host's /usr/include and /usr/lib hold no
# riscv64 library, and finding the host's numaif.h or hwloc.h there would
# turn an absent dependency into a link error.
set(PHOTON_CROSS_EXTRA_ROOT "" CACHE PATH
    "A prefix of riscv64 libraries built for the target (cmocka)")
# try_compile projects read this file again: pass the prefix on to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES PHOTON_CROSS_EXTRA_ROOT)
set(CMAKE_FIND_ROOT_PATH /usr/riscv64-linux-gnu ${PHOTON_CROSS_EXTRA_ROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# No host .pc file may answer for the target.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/riscv64-linux-gnu/lib/pkgconfig")
if(PHOTON_CROSS_EXTRA_ROOT)
  set(ENV{PKG_CONFIG_LIBDIR}
      "$ENV{PKG_CONFIG_LIBDIR}:${PHOTON_CROSS_EXTRA_ROOT}/lib/pkgconfig")
endif()
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

find_program(PHOTON_QEMU_RISCV64 qemu-riscv64)
if(NOT PHOTON_QEMU_RISCV64)
  message(FATAL_ERROR "qemu-riscv64 not found (Debian: apt-get install "
                      "qemu-user)")
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR ${PHOTON_QEMU_RISCV64}
    -L /usr/riscv64-linux-gnu)
