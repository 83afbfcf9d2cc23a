# The C++ headers under the strictest warnings a C++ user turns on:
# tests/cxx/strict.cpp (every header, every member of the handle templates)
# and examples/quickstart.cpp (the README's C++ tour, word for word), each
# compiled by g++ and by clang++ at -O0 and -O2 through a plain -I, so no
# warning hides as a system header's, with -Werror. Nothing is suppressed:
# the headers themselves must be clean.
set(warnings -Wall -Wextra -Wpedantic -Wold-style-cast -Wcast-align
             -Wconversion -Wshadow)
file(MAKE_DIRECTORY "${OUT}")
foreach(cxx IN ITEMS g++ clang++)
  find_program(exe_${cxx} ${cxx})
  if(NOT exe_${cxx})
    message(FATAL_ERROR "${cxx} not found: install g++ and clang")
  endif()
  foreach(opt IN ITEMS -O0 -O2)
    foreach(src IN LISTS SOURCES)
      get_filename_component(base "${src}" NAME_WE)
      execute_process(
        COMMAND ${exe_${cxx}} -std=c++17 ${opt} ${warnings} -Werror
                -I${INCLUDE} -I${BINARY_INCLUDE} -c ${src}
                -o ${OUT}/${base}_${cxx}${opt}.o
        RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
      if(NOT rc EQUAL 0)
        message(FATAL_ERROR "${cxx} ${opt} ${src}:\n${out}")
      endif()
      message(STATUS "${cxx} ${opt} ${base}: no warning")
    endforeach()
  endforeach()
endforeach()
