#!/usr/bin/env bash
# bench_runner: a production run after a plugin change, three ways, side by
# side in one run, on aerodemo in a git repository on a feature branch:
#   go       `aeromancy go`: the host image stays; the plugin is rebuilt
#            incrementally in a container of it and run there
#   rebuild  what the Python framework does: a Dockerfile FROM the host
#            image that COPYs the project and builds it, one image per
#            commit, then `docker run` of that image
#   bare     `docker run` of the same host image: aerohost on the plugin go
#            built (the same work without the runner), and `true` (the
#            floor of any container run)
# and, in a container of the image kept for it, the plugin's own
# incremental compile time (ninja after the same change). Each timed run of go and rebuild follows a
# change to an action and a commit; the approaches run in interleaved
# rounds so that other load on the machine weighs on all alike. Also counts
# the image layers and bytes plugin changes leave behind.
#
# Needs a reachable Docker engine and the aeromancy-base:bookworm image
# (cmake/make-base-image.sh makes it; this script does when run as root).
. "$(dirname "$0")/lib.sh"

RUNS=${BENCH_RUNNER_RUNS:-7}
runner=${AEROMANCY:-$AERO_BENCH_BUILD/host/aeromancy}
[[ -x $runner ]] || die "no runner at $runner: build the aeromancy target"
docker version >/dev/null 2>&1 || die "no reachable Docker engine (start dockerd)"
export AEROMANCY_BASE_IMAGE=${AEROMANCY_BASE_IMAGE:-aeromancy-base:bookworm}
if ! docker image inspect "$AEROMANCY_BASE_IMAGE" >/dev/null 2>&1; then
  note "creating $AEROMANCY_BASE_IMAGE"
  "$AERO_SOURCE_DIR/cmake/make-base-image.sh" "$AEROMANCY_BASE_IMAGE" >/dev/null ||
    die "cannot create $AEROMANCY_BASE_IMAGE (needs root and debootstrap)"
fi
export AEROMANCY_STORE="$bench_dir/store"
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@aeromancy.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@aeromancy.invalid

# The project: aerodemo with a revision number in one of its messages, so
# that every change below changes the plugin's code.
proj="$bench_dir/aerodemo"
cp -r "$AERO_SOURCE_DIR/examples/aerodemo" "$proj"
sed -i 's/wrote %zu training and %d test rows/wrote %zu training and %d test rows (rev 0)/' \
  "$proj/actions.c"
grep -q '(rev 0)' "$proj/actions.c" || die "cannot find the message to change in actions.c"
git -C "$proj" init -q -b main && git -C "$proj" add -A &&
  git -C "$proj" commit -q -m "aerodemo" && git -C "$proj" switch -q -c bench ||
  die "cannot set up the git repository"
cd "$proj" || die "cannot enter $proj"

# change.sh: the next revision of the action, committed.
cat >"$bench_dir/change.sh" <<'EOF'
#!/usr/bin/env bash
set -e
n=$(($(cat rev 2>/dev/null || echo 0) + 1))
echo "$n" >rev
sed -i "s/(rev [0-9]*)/(rev $n)/" actions.c
git commit -q -am "rev $n"
EOF
chmod +x "$bench_dir/change.sh"
echo rev >.gitignore && git add .gitignore && git commit -q -m ignore

note "first aeromancy go (builds the host image if its recipe is new)"
"$runner" go -- --epochs 5 >"$bench_dir/first.log" 2>&1 ||
  die "aeromancy go failed: $(tail -3 "$bench_dir/first.log" | tr '\n' ' ')"
tag=$(grep -o 'aeromancy-host:[0-9a-f]\{12\}' "$bench_dir/first.log" | head -n 1)
[[ -n $tag ]] || die "the runner named no image"
image_id=$(docker image inspect --format '{{.Id}}' "$tag")

# The rebuild approach's recipe, and the environment a production run needs
# (passed by value here: this is the approach being compared, not ours).
cat >"$bench_dir/Dockerfile.rebuild" <<EOF
FROM $tag
COPY . /project
RUN cmake -S /project -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null \\
 && cmake --build /build >/dev/null
EOF
cat >"$bench_dir/rebuild.sh" <<EOF
#!/usr/bin/env bash
set -e
commit=\$(git rev-parse HEAD)
img=aero-bench-rebuild:\${commit:0:12}
docker build -q -t "\$img" -f "$bench_dir/Dockerfile.rebuild" . >/dev/null
docker run --rm --init --user \$(id -u):\$(id -g) \\
  --mount type=bind,source=$AEROMANCY_STORE,target=/aeromancy/store \\
  -e AEROMANCY_GIT_COMMIT=\$commit -e AEROMANCY_GIT_BRANCH=bench \\
  -e AEROMANCY_IMAGE_ID=\$(docker image inspect --format '{{.Id}}' "\$img") \\
  -e AEROMANCY_PACKAGES_FILE=/usr/share/aeromancy/packages.txt \\
  "\$img" aerohost run /build/aerodemo.so -- --epochs 5
EOF
chmod +x "$bench_dir/rebuild.sh"
"$bench_dir/rebuild.sh" >"$bench_dir/rebuild-first.log" 2>&1 ||
  die "the rebuild approach failed: $(tail -3 "$bench_dir/rebuild-first.log" | tr '\n' ' ')"

# image_state: "<distinct image layers> <image bytes as docker system df
# shows them>" of the engine: a plugin change must add neither.
image_state() {
  local layers
  layers=$(docker images -a -q | sort -u | xargs -r docker image inspect \
    --format '{{range .RootFS.Layers}}{{println .}}{{end}}' | grep . | sort -u | wc -l)
  echo "$layers $(docker system df --format '{{.Type}} {{.Size}}' | awk '$1 == "Images" { print $2 }')"
}
rebuild_images() {
  docker images -q aero-bench-rebuild | sort -u | wc -l
}

# The same workload without the runner: `docker run` of aerohost on the
# plugin the runner built, with the same mounts and variables.
plugin=$(find "$HOME/.cache/aeromancy/build" -path '*/plugin/aerodemo.so' -type f | head -n 1)
[[ -f $plugin ]] || die "no plugin in the runner's build folder"
cat >"$bench_dir/bare-run.sh" <<EOF
#!/usr/bin/env bash
exec docker run --rm --init --user \$(id -u):\$(id -g) \\
  --mount type=bind,source=$plugin,target=/plugin/aerodemo.so,readonly \\
  --mount type=bind,source=$AEROMANCY_STORE,target=/aeromancy/store \\
  -e AEROMANCY_GIT_COMMIT=bench -e AEROMANCY_IMAGE_ID=$image_id \\
  -e AEROMANCY_PACKAGES_FILE=/usr/share/aeromancy/packages.txt \\
  $image_id aerohost run /plugin/aerodemo.so -- --epochs 5
EOF
chmod +x "$bench_dir/bare-run.sh"

# timed FILE CMD...: runs CMD (output to FILE.log), appends its wall time in
# seconds to FILE; dies when it fails.
timed() {
  local file=$1 s e
  shift
  s=$(date +%s%N)
  "$@" >>"$file.log" 2>&1 || die "$* failed: $(tail -3 "$file.log" | tr '\n' ' ')"
  e=$(date +%s%N)
  python3 -c "print(($e - $s) / 1e9)" >>"$file"
}
# median_of FILE: the median of the numbers in FILE.
median_of() {
  sort -g "$1" | awk '{ a[NR] = $1 } END { printf "%.6f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# What plugin changes leave in the engine: 3 changes, each run with go.
note "image layers before and after 3 plugin changes run with aeromancy go"
before_go=$(image_state)
for ((i = 1; i <= 3; i++)); do
  "$bench_dir/change.sh" || die "cannot change the action"
  "$runner" go -- --epochs 5 >>"$bench_dir/layers.log" 2>&1 ||
    die "aeromancy go failed: $(tail -3 "$bench_dir/layers.log" | tr '\n' ' ')"
done
after_go=$(image_state)

# The plugin's own compile time, in a container of the image kept for the
# purpose: a configured copy of the project, then per round the same kind
# of change and an incremental `ninja`, timed inside the container.
compiler=aero-bench-compile-$$
docker run -d --rm --name "$compiler" --user "$(id -u):$(id -g)" \
  --mount "type=bind,source=$proj,target=/src,readonly" "$image_id" sleep infinity >/dev/null ||
  die "cannot start the compile container"
trap 'docker rm -f "$compiler" >/dev/null 2>&1' EXIT
docker exec "$compiler" sh -c 'cp -r /src /tmp/p && cd /tmp/p &&
  cmake -S . -B b -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && ninja -C b >/dev/null' ||
  die "cannot configure the project in the compile container"
compile_once() {
  docker exec "$compiler" sh -c 'cd /tmp/p && sed -i "s/(rev [0-9a-z]*)/(rev c$1)/" actions.c &&
    s=$(date +%s%N) && ninja -C b >/dev/null && e=$(date +%s%N) &&
    echo $(( (e - s) / 1000 ))' sh "$1" |
    awk '{ printf "%.6f\n", $1 / 1e6 }' >>"$bench_dir/compile.t"
}

# Rounds interleave the approaches, so that load from elsewhere on the
# machine weighs on all of them alike.
note "timing $RUNS rounds: go and rebuild after a change each, bare runs, compile"
rebuild_before=$(rebuild_images)
for ((i = 1; i <= RUNS; i++)); do
  "$bench_dir/change.sh" || die "cannot change the action"
  timed "$bench_dir/go.t" "$runner" go -- --epochs 5
  "$bench_dir/change.sh" || die "cannot change the action"
  timed "$bench_dir/rebuild.t" "$bench_dir/rebuild.sh"
  timed "$bench_dir/bare-run.t" "$bench_dir/bare-run.sh"
  timed "$bench_dir/bare.t" docker run --rm "$image_id" true
  compile_once "$i" || die "the compile in the image failed"
done
docker rm -f "$compiler" >/dev/null 2>&1
rebuild_after=$(rebuild_images)
# Clean up what this benchmark made (the rebuild approach's images).
docker images -q aero-bench-rebuild | sort -u | xargs -r docker rmi -f >/dev/null 2>&1

go=$(median_of "$bench_dir/go.t")
rebuild=$(median_of "$bench_dir/rebuild.t")
bare_run=$(median_of "$bench_dir/bare-run.t")
bare=$(median_of "$bench_dir/bare.t")
compile=$(median_of "$bench_dir/compile.t")
budget=$(calc "$bare_run + $compile + 0.3")
overhead=$(calc "$go - $bare_run - $compile")
floor_overhead=$(calc "$go - $bare - $compile")
read -r go_layers_before go_bytes_before <<<"$before_go"
read -r go_layers_after go_bytes_after <<<"$after_go"


echo "## Runner: a production run after a plugin change (bench_runner)"
echo
echo "aerodemo (3 tracked actions, --epochs 5) in a git repository on a feature"
echo "branch; every go and rebuild run follows a changed action and a commit."
echo "Host image $tag. Median of $RUNS interleaved rounds."
echo
echo "| approach | median (s) | ratio to aeromancy go |"
echo "|---|---:|---:|"
echo "| aeromancy go (plugin rebuilt in the host image, mounted) | $(calc "$go") | 1.00 |"
echo "| rebuild an image per commit (COPY project + build) + docker run | $(calc "$rebuild") | $(ratio "$rebuild" "$go") |"
echo "| bare docker run of the same work (aerohost on the built plugin) | $(calc "$bare_run") | $(ratio "$bare_run" "$go") |"
echo "| bare docker run --rm IMAGE true | $(calc "$bare") | $(ratio "$bare" "$go") |"
echo "| the plugin's incremental compile in the image (ninja) | $(calc "$compile") | $(ratio "$compile" "$go") |"
echo
echo "- aeromancy go minus (bare run of the same work + compile): $(ms "$overhead") ms:" \
     "the runner's own cost (git checks, recipe hash, image inspect, env file, the" \
     "build step's start), within the noise of a container start when near 0"
echo "- aeromancy go minus (docker run true + compile): $(ms "$floor_overhead") ms" \
     "(the above plus running the three actions)"
echo "- image layers before/after 3 plugin changes run with go: $go_layers_before / $go_layers_after;" \
     "image bytes (docker system df): $go_bytes_before / $go_bytes_after"
echo "- images the rebuild approach left: $((rebuild_after - rebuild_before)) for $RUNS commits (removed afterwards)"
echo
target "aeromancy go <= one bare docker run (same work) + compile + 0.3 s ($(calc "$go") <= $budget)" "$(lt "$go" "$budget + 1e-9")"
target "aeromancy go faster than rebuilding an image per change" "$(lt "$go" "$rebuild")"
same=0
[[ $go_layers_before == "$go_layers_after" && $go_bytes_before == "$go_bytes_after" ]] && same=1
target "zero new image layers per plugin change (same layers and bytes)" "$same"
echo
