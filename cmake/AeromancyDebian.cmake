# The Debian package: `cpack -G DEB` in a build configured with
# -DCMAKE_INSTALL_PREFIX=/usr packs what the install rules install (aerohost,
# aeromancy, the backend plugins, the SDK headers, the CMake package, the
# image recipe and base-image script under share/aeromancy, man pages and
# bash completions) as aeromancy_<version>_<arch>.deb. Depends: of the
# binaries are computed by dpkg-shlibdeps; the rest are what building a
# project's plugin needs.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME aeromancy)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(AERO_DEB_MAINTAINER "aeromancy maintainers <maintainers@aeromancy.invalid>"
    CACHE STRING "Maintainer: of the Debian package")
set(CPACK_PACKAGE_CONTACT "${AERO_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "reproducible, tracked data and ML pipelines in C")
# The long description; CPack puts the summary above it and indents it.
set(CPACK_PACKAGE_DESCRIPTION
    "A project's actions are compiled into one plugin; aerohost loads it,
parses the project's typed flags, builds the action graph and runs every
action in its own process, recording config, metrics, versioned
content-addressed artifacts, git commit, image and plugin digest.
aeromancy builds and runs the plugin, in a container (production) or
directly (--dev), and creates new projects (aeromancy new). This package
holds both programs, the backend plugins, the SDK headers and CMake
package for writing plugins, the host image's recipe, man pages and bash
completion.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Building a project's plugin: CMake, a C compiler and its headers, a build
# tool; `aeromancy ui` serves Debian's Chart.js, a file dpkg-shlibdeps cannot
# see; `aeromancy new` commits with git; production runs need an engine.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "cmake (>= 3.25), gcc | c-compiler, libc6-dev, make | ninja-build, libjs-chart.js")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "git, docker.io | podman, ninja-build, g++")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "debootstrap")
set(CPACK_STRIP_FILES ON)
# Directories the package creates are owned by root and 0755, whatever the
# build machine's umask.
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
    WORLD_READ WORLD_EXECUTE)

set(AERO_DEB_DOC_DIR ${CMAKE_INSTALL_DATADIR}/doc/aeromancy)
# A native package (no Debian revision): its changelog is changelog.gz.
configure_file(${CMAKE_CURRENT_LIST_DIR}/debian/changelog.in
               ${CMAKE_BINARY_DIR}/debian/changelog @ONLY)
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/debian/changelog.gz
  COMMAND sh -c "gzip -9n < \"$1\" > \"$2\"" sh
          ${CMAKE_BINARY_DIR}/debian/changelog
          ${CMAKE_BINARY_DIR}/debian/changelog.gz
  DEPENDS ${CMAKE_BINARY_DIR}/debian/changelog VERBATIM)
add_custom_target(aeromancy_deb_doc ALL
  DEPENDS ${CMAKE_BINARY_DIR}/debian/changelog.gz)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/debian/copyright
              ${CMAKE_BINARY_DIR}/debian/changelog.gz
        DESTINATION ${AERO_DEB_DOC_DIR})
# aeromancy-ui (libexecdir) has no page of its own: see the file.
install(FILES ${CMAKE_CURRENT_LIST_DIR}/debian/lintian-overrides
        DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
        RENAME aeromancy)

include(CPack)
