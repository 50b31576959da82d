#!/usr/bin/env bash
# The Debian package: built here with cpack -G DEB from a Release build
# (prefix /usr), checked (version, Depends from dpkg-shlibdeps, contents,
# lintian), then installed in a clean container of the local Debian base
# image with `dpkg -i` and `apt-get -f install`, with no build tree there.
# In that container: --version of both programs, man -w, `aeromancy new`,
# build, `aeromancy go --dev`, Tab completion of the project's own flags,
# the C++ example built against the package, and `dpkg -r` leaving nothing
# behind. Slow (a few minutes): it compiles aeromancy and installs a
# toolchain in the container.
. "$(dirname "$0")/lib.sh"
container_setup

version=$(sed -n 's/^project(aeromancy VERSION \([0-9.]*\).*/\1/p' "$AERO_SOURCE_DIR/CMakeLists.txt")
build="$AERO_TMP/deb-build"
pkgdir="$AERO_TMP/pkg"
mkdir -p "$pkgdir"

case_ "cpack -G DEB builds aeromancy_<version>_<arch>.deb"
{ cmake -S "$AERO_SOURCE_DIR" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX=/usr -DAERO_BUILD_TESTS=OFF -DAERO_BUILD_EXAMPLES=OFF &&
  cmake --build "$build" -j 2 &&
  (cd "$build" && cpack -G DEB); } >"$AERO_TMP/cpack.log" 2>&1 ||
  { tail -n 30 "$AERO_TMP/cpack.log" >&2; fail "the package build failed"; done_; exit 1; }
arch=$(dpkg --print-architecture)
deb="$build/aeromancy_${version}_${arch}.deb"
[[ -f $deb ]] || { fail "no $deb"; done_; exit 1; }
cp "$deb" "$pkgdir/aeromancy.deb"

case_ "control: version, Depends computed from the binaries"
assert_eq "$(dpkg-deb -f "$deb" Package)" "aeromancy"
assert_eq "$(dpkg-deb -f "$deb" Version)" "$version"
depends=$(dpkg-deb -f "$deb" Depends)
# dpkg-shlibdeps' share: the libraries aerohost and the runner link.
for lib in "libc6 (>=" "libffi8 (>=" "libinih1 (>="; do
  assert_contains "$depends" "$lib"
done
assert_contains "$depends" "cmake"
assert_contains "$depends" "libjs-chart.js" # read by aeromancy ui at run time

case_ "contents: programs, backend, SDK, CMake package, recipe, man pages, completions"
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for f in ./usr/bin/aerohost ./usr/bin/aeromancy ./usr/libexec/aeromancy-ui \
  "./usr/lib/$multiarch/aeromancy/plugins/tracker-local.so" \
  ./usr/include/aeromancy/aeromancy.h \
  "./usr/lib/$multiarch/cmake/Aeromancy/AeromancyConfig.cmake" \
  ./usr/share/aeromancy/Dockerfile ./usr/share/aeromancy/cmake/make-base-image.sh \
  ./usr/share/man/man1/aerohost.1.gz ./usr/share/man/man1/aeromancy.1.gz \
  ./usr/share/man/man5/aeromancy.ini.5.gz \
  ./usr/share/bash-completion/completions/aerohost \
  ./usr/share/bash-completion/completions/aeromancy \
  ./usr/share/doc/aeromancy/copyright; do
  grep -qxF "$f" <<<"$contents" || fail "not in the package: $f"
done

case_ "lintian finds no error and no warning"
if command -v lintian >/dev/null; then
  lintian_out=$(lintian "$deb" 2>/dev/null)
  assert_eq "$(grep '^E:' <<<"$lintian_out")" "" "lintian errors"
  # aeromancy-ui has no manual page of its own: overridden, with the reason
  # (cmake/debian/lintian-overrides).
  assert_eq "$(grep '^W:' <<<"$lintian_out")" "" "lintian warnings"
else
  skip_or_fail "lintian is not installed"
fi

# The script that runs in the clean container. /pkg holds the .deb (and,
# when the container cannot reach the mirror, the .debs it depends on).
cat >"$pkgdir/inside.sh" <<'INSIDE'
set -u
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
step() { echo "=== $*"; }
offline=${OFFLINE:-0}
apt_opts=(-y -q --no-install-recommends)
((offline)) && apt_opts+=(--no-download -o Dir::Cache::archives=/pkg/archives)
step install
((offline)) || apt-get update -q >/dev/null || exit 10
[[ -d /aptcache ]] && cp /aptcache/*.deb /var/cache/apt/archives/ 2>/dev/null
dpkg -i /pkg/aeromancy.deb >/dev/null 2>&1 # fails: Depends are missing
apt-get -f install "${apt_opts[@]}" >/tmp/apt.log 2>&1 || { cat /tmp/apt.log; exit 11; }
# What the checks below use, not aeromancy's dependencies.
apt-get install "${apt_opts[@]}" man-db bash-completion git g++ >>/tmp/apt.log 2>&1 ||
  { cat /tmp/apt.log; exit 12; }
dpkg-query -W -f='${Status}\n' aeromancy
[[ -d /out ]] && cp -n /var/cache/apt/archives/*.deb /out/ 2>/dev/null
step files-before
find / -xdev \( -path /proc -o -path /sys -o -path /var/lib/dpkg -o -path /var/cache \
  -o -path /var/log -o -path /tmp -o -path /root \) -prune -o -print | sort >/tmp/before.txt
step version
aerohost --version
aeromancy --version
step man
man -w aerohost
man -w aeromancy
man -w 5 aeromancy.ini
step new
cd /root && aeromancy new demo 2>&1 | grep created
cd /root/demo || exit 13
git config --global user.email t@aeromancy.invalid; git config --global user.name t
step build
{ cmake -S . -B build && cmake --build build; } >/tmp/build.log 2>&1 || { cat /tmp/build.log; exit 14; }
ls build/demo.so
step go-dev
aeromancy go --dev -- --epochs 3 2>&1 | tail -n 1
echo "rc=${PIPESTATUS[0]}"
step complete
set +u # bash-completion is written for interactive shells
. /usr/share/bash-completion/bash_completion
_completion_loader aerohost
complete -p aerohost
COMP_WORDS=(aerohost run build/demo.so -- --le); COMP_CWORD=4
COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
_aerohost aerohost --le --
echo "reply=${COMPREPLY[*]}"
step cxx
if [[ -d /src/cxxdemo ]]; then
  cp -r /src/cxxdemo /root/cxxdemo
  { cmake -S /root/cxxdemo -B /root/cxxdemo/build && cmake --build /root/cxxdemo/build; } \
    >/tmp/cxx.log 2>&1 || { cat /tmp/cxx.log; exit 15; }
  aerohost run /root/cxxdemo/build/cxxdemo.so --dev 2>&1 | tail -n 1
fi
step remove
dpkg -r aeromancy >/dev/null
dpkg-query -W -f='${Status}\n' aeromancy 2>&1
cd /
find / -xdev \( -path /proc -o -path /sys -o -path /var/lib/dpkg -o -path /var/cache \
  -o -path /var/log -o -path /tmp -o -path /root \) -prune -o -print | sort >/tmp/after.txt
echo "left: $(comm -13 /tmp/after.txt /tmp/before.txt | wc -l) gone, $(comm -13 /tmp/before.txt /tmp/after.txt | grep -c aeromancy) aeromancy paths left"
ls -d /usr/share/aeromancy /usr/include/aeromancy /usr/lib/*/aeromancy /usr/lib/*/cmake/Aeromancy \
  /usr/share/bash-completion/completions/aerohost /usr/share/man/man1/aerohost.1.gz 2>/dev/null
step end
INSIDE

cxx_src="$AERO_SOURCE_DIR/examples/cxxdemo"
# What the container's apt downloads is kept in a folder of this machine,
# so that later runs of this test install the same .debs without fetching
# them again (apt still resolves the Depends: nothing is preinstalled). The
# container gets a read-only view and hands new files back through /out;
# they are added by rename, so concurrent runs (other checkouts) never
# share a lock or see half a file.
apt_cache=${AERO_TEST_APT_CACHE:-/var/tmp/aeromancy-test-apt}
mkdir -p "$apt_cache" "$AERO_TMP/out"
mounts=(-v "$pkgdir:/pkg:ro")
[[ -d $cxx_src ]] && mounts+=(-v "$cxx_src:/src/cxxdemo:ro")

# Can the container reach the Debian mirror? If not, the host downloads
# what apt in the container would (computed there from the host's package
# lists) and the container installs from those files alone.
offline=0
if ! docker run --rm "$AEROMANCY_BASE_IMAGE" timeout 60 apt-get update -q >/dev/null 2>&1; then
  offline=1
  mkdir -p "$pkgdir/archives/partial"
  uris=$(docker run --rm -v /var/lib/apt/lists:/var/lib/apt/lists:ro "${mounts[@]}" \
    "$AEROMANCY_BASE_IMAGE" apt-get install -qq --print-uris --no-install-recommends \
    /pkg/aeromancy.deb man-db bash-completion git g++ 2>/dev/null | awk '{print $2}')
  (cd "$pkgdir/archives" && for f in $uris; do
    IFS=_ read -r name ver _ <<<"${f%.deb}"
    apt-get download -q "$name=${ver//%3a/:}" >/dev/null 2>&1 || echo "cannot download $f" >&2
  done)
  docker run --rm -v /var/lib/apt/lists:/var/lib/apt/lists:ro "$AEROMANCY_BASE_IMAGE" true
  mounts+=(-v /var/lib/apt/lists:/var/lib/apt/lists:ro)
fi

case_ "installed in a clean container: dpkg -i, apt-get -f install"
((offline)) || mounts+=(-v "$apt_cache:/aptcache:ro" -v "$AERO_TMP/out:/out")
docker run --rm -e OFFLINE=$offline "${mounts[@]}" "$AEROMANCY_BASE_IMAGE" \
  bash /pkg/inside.sh >"$AERO_TMP/inside.log" 2>&1
rc=$?
log=$(cat "$AERO_TMP/inside.log")
err=$log
for f in "$AERO_TMP"/out/*.deb; do
  [[ -f $f && ! -e $apt_cache/${f##*/} ]] || continue
  cp "$f" "$apt_cache/.${f##*/}.$$" && mv -f "$apt_cache/.${f##*/}.$$" "$apt_cache/${f##*/}"
done
# section NAME: the lines the script printed after "=== NAME".
section() { awk -v s="=== $1" '$0 == s {on = 1; next} /^=== / {on = 0} on' <<<"$log"; }
assert_rc 0
assert_contains "$(section install)" "install ok installed"

case_ "--version of both programs: the package version and the ABI"
v=$(section version)
abi_major=$(sed -n 's/^#define AERO_ABI_MAJOR \([0-9]*\).*/\1/p' "$AERO_SOURCE_DIR/sdk/include/aeromancy/abi.h")
abi_minor=$(sed -n 's/^#define AERO_ABI_MINOR \([0-9]*\).*/\1/p' "$AERO_SOURCE_DIR/sdk/include/aeromancy/abi.h")
assert_contains "$v" "aerohost $version (plugin ABI $abi_major.$abi_minor"
assert_contains "$v" "aeromancy $version (plugin ABI $abi_major.$abi_minor"

case_ "man -w finds the pages"
m=$(section man)
assert_contains "$m" "/usr/share/man/man1/aerohost.1.gz"
assert_contains "$m" "/usr/share/man/man1/aeromancy.1.gz"
assert_contains "$m" "/usr/share/man/man5/aeromancy.ini.5.gz"

case_ "aeromancy new, build, aeromancy go --dev"
assert_contains "$(section new)" "created the project demo"
assert_contains "$(section build)" "build/demo.so"
assert_contains "$(section go-dev)" "2 ok, 0 failed"
assert_contains "$(section go-dev)" "rc=0"

case_ "completion: aerohost run demo.so -- --le<Tab> gives --learning-rate"
c=$(section complete)
assert_contains "$c" "complete -F _aerohost aerohost"
assert_contains "$c" "reply=--learning-rate"

if [[ -d $cxx_src ]]; then
  case_ "the C++ example builds against the installed package and runs"
  assert_contains "$(section cxx)" "ok, 0 failed"
fi

case_ "dpkg -r leaves nothing behind"
r=$(section remove)
assert_contains "$r" "no packages found matching aeromancy"
assert_contains "$r" "0 aeromancy paths left"
[[ $(grep -c '^/' <<<"$r") == 0 ]] || fail "left after dpkg -r: $r"
echo "# offline=$offline" >&2
((aero_failed == 0)) || echo "$log" | tail -n 60 >&2

done_
