# Compile-time topics (photon/topic.h) across modules, linkers and
# optimisation: tests/topics/main.c with declarations in a C unit and a C++
# unit of the executable, a static library linked whole, a shared library
# of two units and a library loaded with dlopen; and main_conflict.c, two
# declarations of one name with different types. Each configuration builds
# and runs both. A section marked only `used` is dropped by lld with
# --gc-sections, and Debian's gcc links with --as-needed: the
# configurations below are the ones where that went wrong.
#
#   gcc -O0                                  GNU ld
#   gcc -O3 -flto, --gc-sections             GNU ld, gold
#   gcc -O2, --gc-sections                   lld
#   clang -O3 -flto, --gc-sections           lld
#   clang++ for the C++ unit where clang builds
set(configs
  "gcc-O0-bfd|gcc|g++|gcc-ar|-O0|-fuse-ld=bfd"
  "gcc-lto-bfd|gcc|g++|gcc-ar|-O3 -flto -ffunction-sections -fdata-sections|-fuse-ld=bfd -Wl,--gc-sections"
  "gcc-lto-gold|gcc|g++|gcc-ar|-O3 -flto -ffunction-sections -fdata-sections|-fuse-ld=gold -Wl,--gc-sections"
  "gcc-O2-lld|gcc|g++|ar|-O2 -ffunction-sections -fdata-sections|-fuse-ld=lld -Wl,--gc-sections"
  "clang-lto-lld|clang|clang++|llvm-ar|-O3 -flto -ffunction-sections -fdata-sections|-fuse-ld=lld -Wl,--gc-sections")
get_filename_component(libdir "${LIB}" DIRECTORY)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${config}: ${what} failed:\n${ARGN}\n${out}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

foreach(c IN LISTS configs)
  string(REPLACE "|" ";" parts "${c}")
  list(GET parts 0 config)
  list(GET parts 1 cc)
  list(GET parts 2 cxx)
  list(GET parts 3 ar)
  list(GET parts 4 cflags)
  list(GET parts 5 ldflags)
  separate_arguments(cflags)
  separate_arguments(ldflags)
  foreach(tool IN ITEMS cc cxx ar)
    find_program(exe_${${tool}} ${${tool}})
    if(NOT exe_${${tool}})
      message(FATAL_ERROR "${${tool}} not found (packages: clang lld llvm)")
    endif()
  endforeach()
  set(o "${OUT}/${config}")
  file(REMOVE_RECURSE "${o}")
  file(MAKE_DIRECTORY "${o}")
  set(common -Wall -Wextra -Wpedantic -Werror -I${INC1} -I${INC2} ${cflags})
  set(link ${LIB} -Wl,-rpath,${libdir} -Wl,-rpath,${o} -pthread)

  foreach(src IN ITEMS main decl_a decl_static decl_conflict main_conflict)
    run("compile ${src}.c" ${exe_${cc}} -std=c11 ${common} -c
        ${SRC}/${src}.c -o ${o}/${src}.o)
  endforeach()
  run("compile decl_b.cpp" ${exe_${cxx}} -std=c++17 ${common} -c
      ${SRC}/decl_b.cpp -o ${o}/decl_b.o)
  run("archive" ${exe_${ar}} rcs ${o}/libstatic.a ${o}/decl_static.o)
  run("shared library" ${exe_${cc}} -std=c11 ${common} -fPIC -shared
      ${ldflags} ${SRC}/decl_shared.c ${SRC}/decl_shared2.c
      -o ${o}/libshared.so ${link})
  run("plugin" ${exe_${cc}} -std=c11 ${common} -fPIC -shared ${ldflags}
      ${SRC}/decl_plugin.c -o ${o}/plugin.so ${link})
  run("link" ${exe_${cxx}} ${cflags} ${ldflags} ${o}/main.o ${o}/decl_a.o
      ${o}/decl_b.o -Wl,--whole-archive ${o}/libstatic.a
      -Wl,--no-whole-archive ${o}/libshared.so ${link} -ldl
      -o ${o}/topics)
  run("link conflict" ${exe_${cc}} ${cflags} ${ldflags} ${o}/main_conflict.o
      ${o}/decl_a.o ${o}/decl_conflict.o ${link} -o ${o}/conflict)
  run("run" ${o}/topics ${o}/plugin.so)
  string(STRIP "${out}" out1)
  run("run conflict" ${o}/conflict)
  string(STRIP "${out}" out2)
  message(STATUS "${config}: ${out1}; ${out2}")
endforeach()
