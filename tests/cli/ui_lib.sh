# Helpers for the tests of `aeromancy ui` (sourced after ../lib.sh).

# ui_start [ARGS...]: starts `aeromancy ui --port 0 ARGS` in the background
# and waits for its "serving on" line; sets UI_PID, UI_PORT and UI_URL.
# Returns 1 (stderr kept in $AERO_TMP/ui.err) when it does not come up.
ui_start() {
  : >"$AERO_TMP/ui.err"
  "$AEROMANCY" ui --port 0 "$@" 2>"$AERO_TMP/ui.err" &
  UI_PID=$!
  local i
  for ((i = 0; i < 300; i++)); do
    UI_PORT=$(sed -n 's|.*serving .* on http://[^ ]*:\([0-9]*\)/ .*|\1|p' \
      "$AERO_TMP/ui.err")
    [[ -n $UI_PORT ]] && break
    kill -0 "$UI_PID" 2>/dev/null || return 1
    sleep 0.05
  done
  [[ -n $UI_PORT ]] || return 1
  UI_URL="http://127.0.0.1:$UI_PORT"
}

# ui_stop: SIGTERM, then waits; sets ui_rc to the server's exit code.
ui_stop() {
  kill -TERM "$UI_PID" 2>/dev/null
  wait "$UI_PID"
  ui_rc=$?
}

# http [CURL ARGS...] PATH: one request (never through a proxy); sets
# $code, $body (file $AERO_TMP/body) and $headers.
http() {
  local path=${*: -1}
  code=$(curl -s --noproxy '*' -o "$AERO_TMP/body" -D "$AERO_TMP/headers" \
    -w '%{http_code}' "${@:1:$#-1}" "$UI_URL$path")
  body=$(cat "$AERO_TMP/body")
  headers=$(cat "$AERO_TMP/headers")
}

# ui_puppeteer DIR: puppeteer-core in DIR/node_modules, installed with npm
# on first use (the version is pinned: it drives Debian's chromium through
# the DevTools protocol and needs Node.js 18 or later). Returns non-zero,
# with npm's last lines on stderr, when it cannot be installed.
UI_PUPPETEER=puppeteer-core@24.9.0
ui_puppeteer() {
  local dir=$1
  [[ -d $dir/node_modules/puppeteer-core ]] && return 0
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
    "$UI_PUPPETEER" >"$dir/npm.log" 2>&1 || {
    tail -3 "$dir/npm.log" >&2
    return 1
  }
}
