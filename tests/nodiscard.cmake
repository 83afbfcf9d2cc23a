# photon::status is [[nodiscard]]: compiling tests/cxx/ignored_status.cpp
# with -Werror=unused-result must fail, and for that reason.
execute_process(
  COMMAND ${CXX} -std=c++17 -fsyntax-only -Werror=unused-result
          -I${INCLUDE} -I${BINARY_INCLUDE} ${SOURCE}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "an ignored photon::status compiled without a "
                      "diagnostic: is status still [[nodiscard]]?")
endif()
if(NOT err MATCHES "nodiscard|unused-result|unused result")
  message(FATAL_ERROR "compile failed for another reason:\n${err}")
endif()
message(STATUS "ignored status rejected: ok")
