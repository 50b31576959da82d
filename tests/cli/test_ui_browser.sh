#!/usr/bin/env bash
# `aeromancy ui` in a real browser: Debian's chromium, headless, driven by
# puppeteer-core (installed with npm into the build tree on first use)
# against the real server on a store made by real runs of aerodemo. The
# scenario is tests/cli/ui_browser.js; its screenshots are kept in
# $AERO_BUILD_DIR/ui-screenshots.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/ui_lib.sh"
cd "$AERO_TMP" || exit 1

DEMO="$AERO_BUILD_DIR/examples/aerodemo/aerodemo.so"
NODE_DIR="$AERO_BUILD_DIR/ui-test-node"
SHOTS="$AERO_BUILD_DIR/ui-screenshots"
XSS='<script>window.aeroXss=1</script><img src=x onerror="window.aeroXss=2">'

case_ browser_available
[[ -x /usr/bin/chromium ]] || fail "no /usr/bin/chromium (cmake/install-deps.sh test installs it)"
ui_puppeteer "$NODE_DIR" 2>"$AERO_TMP/npm.err" ||
  fail "npm install $UI_PUPPETEER failed: $(cat "$AERO_TMP/npm.err")"
((aero_failed == 0)) || { done_; exit; }

case_ readme_shows_the_run_page
# The README's section on the web app (which its table of contents links
# to) shows a screenshot of the run page, kept in docs/.
readme="$AERO_SOURCE_DIR/README.md"
section=$(sed -n '/^## The web app: aeromancy ui$/,/^## /p' "$readme")
assert_eq "$(grep -c '^- \[The web app: aeromancy ui\](#the-web-app-aeromancy-ui)$' "$readme")" 1
assert_contains "$section" "](docs/ui-run.png)"
assert_eq "$(head -c 8 "$AERO_SOURCE_DIR/docs/ui-run.png" | od -An -tx1 | tr -d ' \n')" \
  89504e470d0a1a0a "docs/ui-run.png is a PNG"

case_ store_from_real_runs
run "$AEROHOST" run "$DEMO" --dev                      # runs 1-3: lr 0.05
assert_rc 0
run "$AEROHOST" run "$DEMO" --dev -- --learning-rate 0.02 --notes "$XSS" # 4-6
assert_rc 0
run "$AEROHOST" run "$DEMO" --dev --only train -- --epochs 5000 # run 7
assert_rc 0

case_ browser_scenario
ui_start || { fail "server did not start: $(cat "$AERO_TMP/ui.err")"; done_; exit; }
rm -rf "$SHOTS"
mkdir -p "$SHOTS"
NODE_PATH="$NODE_DIR/node_modules" UI_URL="$UI_URL" SHOTS="$SHOTS" \
  PROFILE="$AERO_TMP/chromium-profile" DEMO="$DEMO" XSS="$XSS" \
  TRK="$AERO_FIXTURES/trk_pipeline.so" \
  node "$(dirname "$0")/ui_browser.js" >"$AERO_TMP/browser.out" 2>&1
browser_rc=$?
cat "$AERO_TMP/browser.out"
assert_eq "$browser_rc" 0 "ui_browser.js"
for shot in runs runs-filtered run run-downsampled artifact compare run-long-key; do
  [[ -s $SHOTS/$shot.png ]] || fail "no screenshot $shot.png"
done
ui_stop
assert_eq "$ui_rc" 0 "server exit code"

done_
