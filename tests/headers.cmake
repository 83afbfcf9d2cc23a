# Compiles the public headers with every gcc/clang found, as C11 and as
# C++17, -Wall -Wextra -Wpedantic -Werror, links each program against the
# built library (LIB; in a static-only build also DEPS, its dependencies'
# files, '|' between them) and runs it. Skipped (77) when no second
# compiler exists.
#
# Cross builds (CROSS_TARGET: the triple; EMULATOR: the runner, its words
# separated by '|') use the build's own cross gcc/g++ (GCC, GXX) and
# clang --target=CROSS_TARGET, and run the programs through the emulator.
#
# Then the targets the headers refuse: clang for 32-bit and ILP32 triples
# (no libc needed: -ffreestanding -fsyntax-only) must stop at common.h's
# #error with its reason, not somewhere further down.
set(cases
  "gcc|-std=c11|test_header_c11.c"
  "clang|-std=c11|test_header_c11.c"
  "g++|-std=c++17|test_cxx.cpp"
  "clang++|-std=c++17|test_cxx.cpp")
set(emulator "")
if(CROSS_TARGET)
  string(REPLACE "|" ";" emulator "${EMULATOR}")
endif()
get_filename_component(libdir "${LIB}" DIRECTORY)
string(REPLACE "|" ";" deps "${DEPS}")
file(MAKE_DIRECTORY "${OUT}")
set(ran 0)
foreach(c IN LISTS cases)
  string(REPLACE "|" ";" parts "${c}")
  list(GET parts 0 cc)
  list(GET parts 1 std)
  list(GET parts 2 src)
  set(flags "")
  if(CROSS_TARGET AND cc STREQUAL "gcc")
    set(exe_${cc} "${GCC}")
  elseif(CROSS_TARGET AND cc STREQUAL "g++")
    set(exe_${cc} "${GXX}")
  else()
    find_program(exe_${cc} ${cc})
    if(CROSS_TARGET)
      set(flags "--target=${CROSS_TARGET}")
    endif()
  endif()
  if(NOT exe_${cc})
    message(STATUS "${cc}: not installed, skipped")
    continue()
  endif()
  set(bin "${OUT}/${cc}_${src}.bin")
  execute_process(
    COMMAND ${exe_${cc}} ${flags} ${std} -Wall -Wextra -Wpedantic -Werror
            -I${INC1} -I${INC2} ${SRC}/${src} -o ${bin}
            ${LIB} ${deps} -Wl,-rpath,${libdir} -pthread
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${cc} ${flags} ${std} ${src} failed:\n${out}")
  endif()
  execute_process(COMMAND ${emulator} ${bin} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${cc} ${flags} ${std} ${src}: program failed:\n${out}")
  endif()
  message(STATUS "${cc} ${flags} ${std} ${src}: ok")
  math(EXPR ran "${ran} + 1")
endforeach()

find_program(exe_clang_refuse clang)
if(NOT exe_clang_refuse)
  message(FATAL_ERROR "clang not found: install clang")
endif()
file(WRITE "${OUT}/refuse.c" "#include <photon/photon.h>\n")
foreach(c IN ITEMS "i686-linux-gnu|__int128" "arm-linux-gnueabihf|__int128"
                   "riscv32-linux-gnu|__int128"
                   "x86_64-linux-gnux32|8-byte pointers")
  string(REPLACE "|" ";" parts "${c}")
  list(GET parts 0 triple)
  list(GET parts 1 reason)
  execute_process(
    COMMAND ${exe_clang_refuse} --target=${triple} -ffreestanding
            -fsyntax-only -std=c11 -I${INC1} -I${INC2} "${OUT}/refuse.c"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  string(FIND "${out}" "libphotonring needs a 64-bit target" at)
  string(FIND "${out}" "${reason}" why)
  if(rc EQUAL 0 OR at EQUAL -1 OR why EQUAL -1)
    message(FATAL_ERROR "clang --target=${triple}: the headers did not "
                        "refuse the target (${reason}):\n${out}")
  endif()
  message(STATUS "clang --target=${triple}: refused (${reason})")
endforeach()

if(ran LESS 4)
  message(FATAL_ERROR "only ${ran} of 4 compiler cases ran: install gcc, g++ and clang")
endif()
