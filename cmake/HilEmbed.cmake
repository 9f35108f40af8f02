# hil_embed(OUTPUT file.cpp SYMBOLS name=path ...): compiles data files into the binary as
# std::string_view constants in namespace hil::embedded, regenerated when a data file changes.
# The binary then needs no data directory at run time; --rules FILE and --catalog FILE still
# load other files.
set(HIL_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_file.cmake)

function(hil_embed)
  cmake_parse_arguments(ARG "" "OUTPUT" "SYMBOLS" ${ARGN})
  set(depends)
  set(args)
  foreach(pair IN LISTS ARG_SYMBOLS)
    string(REPLACE "=" ";" parts "${pair}")
    list(GET parts 1 path)
    list(APPEND depends ${path})
    list(APPEND args "${pair}")
  endforeach()
  string(REPLACE ";" "|" joined "${args}")
  add_custom_command(
    OUTPUT ${ARG_OUTPUT}
    COMMAND ${CMAKE_COMMAND} "-DOUTPUT=${ARG_OUTPUT}" "-DSYMBOLS=${joined}" -P ${HIL_EMBED_SCRIPT}
    DEPENDS ${depends} ${HIL_EMBED_SCRIPT}
    COMMENT "Embedding data files"
    VERBATIM)
endfunction()
