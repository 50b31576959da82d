#!/usr/bin/env bash
# A container test SIGKILLed (ctest's TIMEOUT does it, and no trap runs)
# leaves no container running: its watchdog (tests/reaper.sh) kills the
# containers labelled with a project folder under the test's own folder, as
# the runner labels them (org.aeromancy.project-dir), through the engine.
# A container's processes are the engine's children, not the test's, and
# carry none of its marks: before, they outlived the test. Containers of
# other folders (another test's, a user's) are left alone.
. "$(dirname "$0")/lib.sh"
container_setup

TESTS=$(cd "$(dirname "$0")/.." && pwd)

# The child test: a container for a project of its own, its id and pid to
# $READY, then it waits to be killed.
cat >"$AERO_TMP/child.sh" <<EOF
. "$TESTS/container/lib.sh"
container_setup
mkdir -p "\$AERO_TMP/proj"
id=\$(docker run -d --rm --label "org.aeromancy.project-dir=\$(realpath "\$AERO_TMP/proj")" \
  "\$AEROMANCY_BASE_IMAGE" sleep 300) || exit 1
echo "id=\$id cpid=\$(docker inspect -f '{{.State.Pid}}' "\$id")" >"\$READY.part" &&
  mv "\$READY.part" "\$READY"
sleep 300
EOF

case_ "the containers of a SIGKILLed test are killed; others are left"
mkdir -p "$AERO_TMP/other"
other=$(docker run -d --rm --label "org.aeromancy.project-dir=$(realpath "$AERO_TMP/other")" \
  "$AEROMANCY_BASE_IMAGE" sleep 300)
other_pid=$(docker inspect -f '{{.State.Pid}}' "$other")
export READY=$AERO_TMP/ready
bash "$AERO_TMP/child.sh" >"$AERO_TMP/child.out" 2>&1 &
child=$!
ready() { [[ -e $READY ]] || ! aero_alive "$child"; }
wait_until 1200 0.1 ready
if [[ ! -e $READY ]]; then
  fail "the child test did not start its container: $(tail -5 "$AERO_TMP/child.out")"
else
  eval "$(cat "$READY")"
  aero_alive "$cpid" || fail "the child's container ($cpid) is not running"
  kill -KILL "$child"
  wait "$child" 2>/dev/null
  gone() { ! aero_alive "$cpid"; }
  wait_until 300 0.1 gone ||
    fail "the killed test's container still runs after 30 s: $(docker ps --filter "id=$id" --format '{{.ID}} {{.Labels}}')"
  aero_alive "$other_pid" || fail "a container of another folder was killed"
fi
docker kill "$other" >/dev/null 2>&1

done_
