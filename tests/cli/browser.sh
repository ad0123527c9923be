#!/bin/sh
# The viewer page in headless Chromium (web/test-browser.sh) against the
# WebAssembly build of BUILD_DIR; skips without chromium, node or emcc.
# Usage: sh tests/cli/browser.sh BUILD_DIR
set -u
B=${1:-build}
if ! command -v emcc >/dev/null 2>&1; then
    echo "browser.sh: SKIP (needs emcc: Debian's emscripten)"
    exit 0
fi
sh web/test-browser.sh "$B"
