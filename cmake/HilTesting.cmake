include(GoogleTest)
find_package(GTest REQUIRED)

# hil_add_test(name SOURCES a.cpp ... LABELS unit LIBS hil::flows ... [PREFIX ssh.]
#              [STAGE tests/contract ...])
# One GoogleTest binary; each TEST becomes a CTest test carrying the labels (its name after
# PREFIX, if given). A test sees the folders of the libraries it links and the tests/ folders
# named by STAGE (cmake/HilLibrary.cmake), nothing else.
function(hil_add_test name)
  cmake_parse_arguments(ARG "" "PREFIX" "SOURCES;LABELS;LIBS;STAGE" ${ARGN})
  if(NOT ARG_SOURCES)
    set(ARG_SOURCES ${name}.cpp)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock GTest::gtest_main hil::warnings)
  if(ARG_STAGE)
    hil_stage(${name} PRIVATE FOLDER ${ARG_STAGE})
  endif()
  gtest_discover_tests(${name}
    TEST_PREFIX "${ARG_PREFIX}"
    PROPERTIES LABELS "${ARG_LABELS}"
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    DISCOVERY_TIMEOUT 60)
endfunction()
