#!/bin/sh
# The viewer page (web/index.html) in headless Chromium: serves BUILD/wasm
# (make wasm) from a local static server, opens the page and, through the
# DevTools protocol (web/cdp.mjs), decodes streams in it as a dropped file
# would be: the canvas's pixels must hash (SPEC §9) to the conformance
# manifest's value, and a truncated stream must show the library's error.
#   sh web/test-browser.sh BUILD                 # the test; exit 0 on success
#   sh web/test-browser.sh BUILD --time F.dlic...  # the page's decode times:
#       each stream RUNS times (default 5) in turn, one JSON line a decode
#       (bench/wasm_speed.sh compares them with the native decoder)
set -u
B=${1:-build}
W=$B/wasm
fail() { echo "test-browser.sh: FAIL: $*"; exit 1; }
CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome) ||
    { echo "test-browser.sh: SKIP (no chromium)"; exit 0; }
command -v node >/dev/null 2>&1 || { echo "test-browser.sh: SKIP (no node)"; exit 0; }
[ -f "$W/index.html" ] || fail "$W/index.html missing (make BUILD=$B wasm)"
T=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$T"' EXIT INT TERM
cp "$W/index.html" "$W/dlic.mjs" "$W/dlic-core.mjs" "$W/dlic-core.wasm" "$W/default.dlicm" "$T/"
# A static server on a free port (the next one when one is taken), given
# up to 30 s to answer (a loaded CI machine).
up=
for try in 0 1 2 3 4; do
    PORT=$((20000 + ($$ + 997 * try) % 20000))
    /usr/bin/python3 -m http.server "$PORT" --bind 127.0.0.1 -d "$T" > /dev/null 2>&1 &
    PID=$!
    for i in $(seq 300); do
        kill -0 $PID 2>/dev/null || break
        /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null &&
            { up=1; break; }
        sleep 0.1
    done
    [ -n "$up" ] && break
    kill $PID 2>/dev/null
    PID=
done
[ -n "$up" ] || fail "no local http.server answered (ports taken?)"
run() { node --experimental-websocket web/cdp.mjs "$CHROME" "http://127.0.0.1:$PORT/index.html" "$@"; }

if [ "${2:-}" = --time ]; then
    shift 2
    [ $# -gt 0 ] || fail "--time needs streams"
    names=
    for f; do
        cp "$f" "$T/$(basename "$f")" || fail "$f: cannot read"
        names="$names $(basename "$f")"
    done
    list=
    for _ in $(seq "${RUNS:-5}"); do list="$list$names"; done
    # shellcheck disable=SC2086
    run $list || fail "cdp.mjs"
    exit 0
fi
name=kodak192x128-q75
cp "conformance/streams/$name.dlic" "$T/good.dlic"
head -c 100 "$T/good.dlic" > "$T/cut.dlic"
want=$(awk -v n="$name" '$1 == n { print $10 }' conformance/streams.txt)
out=$(run good.dlic cut.dlic) || fail "cdp.mjs: $out"
echo "$out" | grep -q "\"stream\":\"good.dlic\",\"canvas\":\"$want\",\"decoded\":\"$want\"" ||
    fail "$name: $out; want canvas and decoded $want"
echo "$out" | grep -q '"stream":"cut.dlic","error":"dlic: data ends early (truncated)"' ||
    fail "truncated stream: $out"
echo "test-browser.sh: ok ($name: canvas $want; a truncated stream: the library's error)"
