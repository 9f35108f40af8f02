# The gpu-hil package: `cmake --install` puts the libraries, their headers and
# lib/cmake/gpu-hil/ (config, version, exported targets hil::*) under the prefix, so that a team's
# own tools can `find_package(gpu-hil)` and link hil::flows, hil::simulators, ...
include(CMakePackageConfigHelpers)

set(HIL_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/gpu-hil)
install(EXPORT gpu-hil-targets NAMESPACE hil:: FILE gpu-hil-targets.cmake
        DESTINATION ${HIL_PACKAGE_DIR} COMPONENT development)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/gpu-hilConfig.cmake.in
  ${PROJECT_BINARY_DIR}/gpu-hilConfig.cmake INSTALL_DESTINATION ${HIL_PACKAGE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/gpu-hilConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/gpu-hilConfig.cmake
              ${PROJECT_BINARY_DIR}/gpu-hilConfigVersion.cmake
        DESTINATION ${HIL_PACKAGE_DIR} COMPONENT development)
