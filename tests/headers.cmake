# Compiles the public headers with every gcc/clang found, as C11 and as
# C++17, -Wall -Wextra -Wpedantic -Werror, links each program against the
# built library and runs it. Skipped (77) when no second compiler exists.
set(cases
  "gcc|-std=c11|test_header_c11.c"
  "clang|-std=c11|test_header_c11.c"
  "g++|-std=c++17|test_cxx.cpp"
  "clang++|-std=c++17|test_cxx.cpp")
get_filename_component(libdir "${LIB}" DIRECTORY)
file(MAKE_DIRECTORY "${OUT}")
set(ran 0)
foreach(c IN LISTS cases)
  string(REPLACE "|" ";" parts "${c}")
  list(GET parts 0 cc)
  list(GET parts 1 std)
  list(GET parts 2 src)
  find_program(exe_${cc} ${cc})
  if(NOT exe_${cc})
    message(STATUS "${cc}: not installed, skipped")
    continue()
  endif()
  set(bin "${OUT}/${cc}_${src}.bin")
  execute_process(
    COMMAND ${exe_${cc}} ${std} -Wall -Wextra -Wpedantic -Werror
            -I${INC1} -I${INC2} ${SRC}/${src} -o ${bin}
            ${LIB} -Wl,-rpath,${libdir} -pthread
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${cc} ${std} ${src} failed:\n${out}")
  endif()
  execute_process(COMMAND ${bin} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${cc} ${std} ${src}: program failed:\n${out}")
  endif()
  message(STATUS "${cc} ${std} ${src}: ok")
  math(EXPR ran "${ran} + 1")
endforeach()
if(ran LESS 4)
  message(FATAL_ERROR "only ${ran} of 4 compiler cases ran: install gcc, g++ and clang")
endif()
