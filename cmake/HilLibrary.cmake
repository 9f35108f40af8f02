# One target per folder, and the include paths say which way the layers go (docs/architecture.md).
#
# Every folder is staged on its own under the build tree, e.g.
#   build/include/hil_flows/framework/flows -> framework/flows
# and a target sees a folder only through that staged directory: its own, and those of the
# targets it links. `#include "framework/flows/deployer.h"` therefore compiles in a target that
# links hil::flows and fails ("No such file or directory") in one that does not. The repository
# root is on no target's include path.

# hil_stage(TARGET FOLDER folder [FOLDER ...] [PUBLIC|PRIVATE|INTERFACE]): puts each folder
# (relative to the repository root) on TARGET's include path, and nothing beside it.
function(hil_stage target)
  cmake_parse_arguments(ARG "PUBLIC;PRIVATE;INTERFACE" "" "FOLDER" ${ARGN})
  set(scope PRIVATE)
  foreach(s PUBLIC INTERFACE)
    if(ARG_${s})
      set(scope ${s})
    endif()
  endforeach()
  set(stage ${PROJECT_BINARY_DIR}/include/${target})
  foreach(folder IN LISTS ARG_FOLDER)
    set(link ${stage}/${folder})
    cmake_path(GET link PARENT_PATH parent)
    file(MAKE_DIRECTORY ${parent})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${folder} ${link} SYMBOLIC)
  endforeach()
  target_include_directories(${target} ${scope} $<BUILD_INTERFACE:${stage}>)
endfunction()

# hil_library(NAME FOLDER folder SOURCES a.cpp ... [DEPENDS hil::x ...] [PRIVATE_DEPENDS ...])
# The library hil_NAME (alias and exported name hil::NAME) built from FOLDER: its headers are
# FOLDER/*.h, it links DEPENDS publicly (its headers include theirs) and PRIVATE_DEPENDS for its
# sources alone, and it installs into the gpu-hil package (cmake/gpu-hilConfig.cmake.in).
function(hil_library name)
  cmake_parse_arguments(ARG "" "FOLDER" "SOURCES;DEPENDS;PRIVATE_DEPENDS" ${ARGN})
  set(target hil_${name})
  add_library(${target} ${ARG_SOURCES})
  add_library(hil::${name} ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME hil_${name})
  target_compile_features(${target} PUBLIC cxx_std_23)
  hil_stage(${target} PUBLIC FOLDER ${ARG_FOLDER})
  target_include_directories(${target} INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(${target} PUBLIC ${ARG_DEPENDS} PRIVATE ${ARG_PRIVATE_DEPENDS}
                                                               $<BUILD_INTERFACE:hil::warnings>)
  file(GLOB headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${ARG_FOLDER}/*.h)
  install(FILES ${headers} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${ARG_FOLDER}
          COMPONENT development)
  install(TARGETS ${target} EXPORT gpu-hil-targets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          COMPONENT development)
endfunction()
