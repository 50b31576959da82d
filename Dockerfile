# The aeromancy host image: aerohost, the backend plugins, the SDK and the
# toolchain that builds a project's plugin against them. It never holds a
# project's code: `aeromancy go` builds the plugin in this image with the
# project mounted, and mounts the built plugin to run it, so a new plugin
# never rebuilds the image.
#
# Build context: this repository's CMakeLists.txt, cmake/, sdk/, host/ and
# plugins/ (the runner sends exactly those, from a checkout or from
# share/aeromancy of an installed aeromancy).
#
#   BASE_IMAGE             a Debian 12 image (cmake/make-base-image.sh makes
#                          aeromancy-base:bookworm where no registry is
#                          reachable)
#   EXTRA_DEBIAN_PACKAGES  space-separated packages the project needs
ARG BASE_IMAGE=debian:bookworm-slim

# The toolchain and the libraries aerohost and its backends link (libpq and
# libcurl: tracker-postgres, the team store): the plugin build needs the
# same ones, so they are one layer shared by the build and the final stage.
FROM ${BASE_IMAGE} AS toolchain
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends \
      gcc libc6-dev make ninja-build cmake pkg-config \
      libffi-dev libinih-dev libsqlite3-dev libssl-dev libjansson-dev \
      libpq-dev libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*

FROM toolchain AS build
COPY CMakeLists.txt /src/CMakeLists.txt
COPY cmake /src/cmake
COPY sdk /src/sdk
COPY host /src/host
COPY plugins /src/plugins
RUN cmake -S /src -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_INSTALL_PREFIX=/usr/local \
      -DAERO_BUILD_TESTS=OFF -DAERO_BUILD_EXAMPLES=OFF \
 && cmake --build /build \
 && DESTDIR=/out cmake --install /build

FROM toolchain
ARG EXTRA_DEBIAN_PACKAGES=""
RUN if [ -n "$EXTRA_DEBIAN_PACKAGES" ]; then \
      apt-get update -q \
      && apt-get install -y -q --no-install-recommends $EXTRA_DEBIAN_PACKAGES \
      && rm -rf /var/lib/apt/lists/*; \
    fi
COPY --from=build /out/usr/local /usr/local
# Every installed Debian package with its version, recorded at build time
# for the tracker (AEROMANCY_PACKAGES_FILE points here).
RUN mkdir -p /usr/share/aeromancy \
 && dpkg-query -W -f '${Package}\t${Version}\t${Architecture}\n' \
      | LC_ALL=C sort >/usr/share/aeromancy/packages.txt \
 && ldconfig
ENV AEROMANCY_PACKAGES_FILE=/usr/share/aeromancy/packages.txt \
    AEROMANCY_STORE=/aeromancy/store
WORKDIR /aeromancy
CMD ["aerohost", "--help"]
