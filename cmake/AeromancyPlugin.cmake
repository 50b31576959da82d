# aeromancy_add_plugin(NAME SOURCES src... [OUTPUT_NAME name] [LIBRARIES lib...])
#
# Builds an aeromancy plugin: a MODULE library without the "lib" prefix
# (NAME.so, or OUTPUT_NAME.so), compiled against Aeromancy::sdk as C11 and,
# for C++ sources (in a project with the CXX language), as C++17, with
# hidden visibility so that the one entry symbol AERO_PLUGIN defines is all
# it exports, and linked with -z defs so that an unresolved symbol is a link
# error rather than a load-time surprise. A version script keeps the
# export list to that one symbol even where headers ask for default
# visibility (the C++ standard library's templates do).
#
# Every plugin target is also listed in BUILD_DIR/aeromancy-plugins.txt, one
# "TARGET<tab>PATH-OF-ITS-.so" line each, written at generate time: the
# runner (`aeromancy go`) reads it to find the project's plugin without being
# told its target's name.
include_guard(GLOBAL)

function(_aeromancy_write_plugin_list)
  get_property(targets GLOBAL PROPERTY AEROMANCY_PLUGIN_TARGETS)
  set(content "")
  foreach(target IN LISTS targets)
    string(APPEND content "${target}\t$<TARGET_FILE:${target}>\n")
  endforeach()
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/aeromancy-plugins.txt
       CONTENT "${content}")
endfunction()

function(aeromancy_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "OUTPUT_NAME" "SOURCES;LIBRARIES")
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "aeromancy_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE Aeromancy::sdk ${ARG_LIBRARIES})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    C_STANDARD 11
    C_STANDARD_REQUIRED ON
    # -std=c11, not CMake's default gnu11: plugins are C11 as documented
    # (POSIX functions need _POSIX_C_SOURCE, as in examples/aerodemo).
    C_EXTENSIONS OFF
    C_VISIBILITY_PRESET hidden
    CXX_STANDARD 17
    CXX_STANDARD_REQUIRED ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(ARG_OUTPUT_NAME)
    set_target_properties(${name} PROPERTIES OUTPUT_NAME ${ARG_OUTPUT_NAME})
  endif()
  # No folder path is compiled into the plugin (debug info, __FILE__): the
  # same sources built in another checkout or build folder (aeromancy
  # rerun's worktree, a teammate's clone) give the same SHA-256, which the
  # record compares and the reuse key holds.
  target_compile_options(${name} PRIVATE
    "-ffile-prefix-map=${CMAKE_SOURCE_DIR}=."
    "-ffile-prefix-map=${CMAKE_BINARY_DIR}=.")
  set(map ${CMAKE_BINARY_DIR}/aeromancy-plugin.map)
  if(NOT EXISTS ${map})
    file(WRITE ${map} "{ global: aero_plugin_entry; local: *; };\n")
  endif()
  target_link_options(${name} PRIVATE -Wl,-z,defs -Wl,--version-script=${map})
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS ${map})
  # The list is written once, when the top folder is done, with every
  # plugin target of the build.
  set_property(GLOBAL APPEND PROPERTY AEROMANCY_PLUGIN_TARGETS ${name})
  get_property(listed GLOBAL PROPERTY AEROMANCY_PLUGIN_LIST_DEFERRED)
  if(NOT listed)
    set_property(GLOBAL PROPERTY AEROMANCY_PLUGIN_LIST_DEFERRED TRUE)
    cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR}
                   CALL _aeromancy_write_plugin_list)
  endif()
endfunction()
