# The README's API tours must be the examples the suite builds and runs,
# word for word: examples/quickstart.c in the block marked quickstart.c and
# examples/quickstart.cpp in the one marked quickstart.cpp. Fails when a
# tour and its example drift apart.
file(READ "${README}" readme)
foreach(pair IN ITEMS "quickstart.c|c|${EXAMPLE}" "quickstart.cpp|cpp|${EXAMPLE_CPP}")
  string(REPLACE "|" ";" parts "${pair}")
  list(GET parts 0 name)
  list(GET parts 1 lang)
  list(GET parts 2 file)
  file(READ "${file}" example)
  string(REPLACE "." "\\." pattern "${name}")
  string(REGEX MATCH "<!-- ${pattern} begin -->\n```${lang}\n(.*)```\n<!-- ${pattern} end -->"
         found "${readme}")
  if(NOT found)
    message(FATAL_ERROR "README.md has no ${name} block")
  endif()
  if(NOT CMAKE_MATCH_1 STREQUAL example)
    message(FATAL_ERROR "README.md's ${name} tour differs from examples/${name}")
  endif()
endforeach()
