# Writes the Aeromancy CMake package twice: into the build tree, so that the
# examples and tests build exactly as an outside project does (through
# find_package), and into the install tree.
include(CMakePackageConfigHelpers)

set(AERO_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Aeromancy)
set(AERO_PACKAGE_BUILD_DIR ${CMAKE_BINARY_DIR}/cmake-package)

install(TARGETS aeromancy_sdk EXPORT AeromancyTargets)
install(EXPORT AeromancyTargets NAMESPACE Aeromancy::
        DESTINATION ${AERO_CMAKE_INSTALL_DIR})
# The build tree's own export, so that a project outside this tree can use
# the build-tree package too (in-tree, Aeromancy::sdk is already an alias).
export(EXPORT AeromancyTargets NAMESPACE Aeromancy::
       FILE ${AERO_PACKAGE_BUILD_DIR}/AeromancyTargets.cmake)

foreach(tree build install)
  if(tree STREQUAL "build")
    set(dir ${AERO_PACKAGE_BUILD_DIR})
  else()
    set(dir ${CMAKE_BINARY_DIR}/cmake-package-install)
  endif()
  configure_package_config_file(
    ${CMAKE_CURRENT_LIST_DIR}/AeromancyConfig.cmake.in ${dir}/AeromancyConfig.cmake
    INSTALL_DESTINATION ${AERO_CMAKE_INSTALL_DIR})
  write_basic_package_version_file(${dir}/AeromancyConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/AeromancyPlugin.cmake
                 ${dir}/AeromancyPlugin.cmake COPYONLY)
endforeach()

install(FILES ${CMAKE_BINARY_DIR}/cmake-package-install/AeromancyConfig.cmake
              ${CMAKE_BINARY_DIR}/cmake-package-install/AeromancyConfigVersion.cmake
              ${CMAKE_BINARY_DIR}/cmake-package-install/AeromancyPlugin.cmake
        DESTINATION ${AERO_CMAKE_INSTALL_DIR})

# In-tree users find the build-tree package first.
set(Aeromancy_DIR ${AERO_PACKAGE_BUILD_DIR} CACHE PATH "Aeromancy package" FORCE)
