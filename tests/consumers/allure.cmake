# The library's JUnit loads in Allure's command line, a second independent consumer beside
# junitparser: Allure 2 reads as many tests, failures, errors and skips as the file declares, and
# every testcase by its classname and name with its status (consumers/allure_check.sh).
# Included from tests/CMakeLists.txt; the fixture library_junit (hil_run_library_jobs_2) writes
# the file. scripts/deps.sh installs allure-commandline into the tools folder that
# scripts/tools.sh names; it runs on Java.
#   -DHIL_ALLURE=/path/to/allure  another Allure 2 command line
# Without Allure the test is registered all the same, and fails with the reason.
set(HIL_ALLURE_VERSION 2.46.1)
if(NOT "$ENV{HIL_TOOLS_DIR}" STREQUAL "")
  set(_hil_allure_tools "$ENV{HIL_TOOLS_DIR}")
elseif(NOT "$ENV{XDG_DATA_HOME}" STREQUAL "")
  set(_hil_allure_tools "$ENV{XDG_DATA_HOME}/gpu-hil/tools")
else()
  set(_hil_allure_tools "$ENV{HOME}/.local/share/gpu-hil/tools")
endif()

find_program(HIL_ALLURE NAMES allure
  HINTS "${_hil_allure_tools}/allure-${HIL_ALLURE_VERSION}/node_modules/allure-commandline/dist/bin"
  DOC "Allure 2's command line, for the test library_junit_loads_in_allure")

if(HIL_ALLURE)
  # Says at configure time what runs; the test itself reports a broken Allure (no Java, Allure 3).
  execute_process(COMMAND ${HIL_ALLURE} --version
                  OUTPUT_VARIABLE _hil_allure_version ERROR_VARIABLE _hil_allure_error
                  OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _hil_allure_status TIMEOUT 60)
  if(_hil_allure_status EQUAL 0 AND _hil_allure_version MATCHES "^2\\.[0-9]+\\.[0-9]+$")
    message(STATUS "allure: ${HIL_ALLURE} (${_hil_allure_version})")
    if(NOT _hil_allure_version VERSION_EQUAL HIL_ALLURE_VERSION)
      message(STATUS "allure: the project is tested with ${HIL_ALLURE_VERSION}")
    endif()
  else()
    string(REGEX REPLACE "[ \t\r\n]+" " " _hil_allure_said
           "${_hil_allure_version} ${_hil_allure_error}")
    message(STATUS "allure: ${HIL_ALLURE} does not run as Allure 2 (${_hil_allure_status}:"
                   "${_hil_allure_said}): library_junit_loads_in_allure will fail")
  endif()
  add_test(NAME library_junit_loads_in_allure
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/allure_check.sh ${HIL_ALLURE}
                   ${CMAKE_CURRENT_BINARY_DIR}/library-junit.xml 40)
else()
  message(STATUS "allure: not found: library_junit_loads_in_allure fails (run scripts/deps.sh, "
                 "or configure with -DHIL_ALLURE=PATH)")
  add_test(NAME library_junit_loads_in_allure
           COMMAND ${CMAKE_COMMAND} -E echo
                   "allure not found: run scripts/deps.sh (it installs allure-commandline"
                   "${HIL_ALLURE_VERSION} into ${_hil_allure_tools}), or configure with"
                   "-DHIL_ALLURE=/path/to/allure")
  set_tests_properties(library_junit_loads_in_allure PROPERTIES WILL_FAIL TRUE)
endif()
set_tests_properties(library_junit_loads_in_allure PROPERTIES
  LABELS scenario FIXTURES_REQUIRED library_junit TIMEOUT 300)
