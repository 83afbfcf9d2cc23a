# The README's API tour must be examples/quickstart.c, which the suite builds
# and runs: fails when the two drift apart.
file(READ "${README}" readme)
file(READ "${EXAMPLE}" example)
string(REGEX MATCH "<!-- quickstart.c begin -->\n```c\n(.*)```\n<!-- quickstart.c end -->"
       found "${readme}")
if(NOT found)
  message(FATAL_ERROR "README.md has no quickstart.c block")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL example)
  message(FATAL_ERROR "README.md's API tour differs from examples/quickstart.c")
endif()
