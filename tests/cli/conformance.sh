#!/bin/sh
# Conformance suite under the test build (conformance/README.md): every
# stream decoded, every source re-encoded, scalar with 1 thread and the best
# instruction-set path with 2 threads (`make conformance` runs them all);
# then checks that stale vectors (another embedded model) are a failure.
# Usage: sh tests/cli/conformance.sh BUILD_DIR   (from the repository root)
set -u
B=${1:?usage: conformance.sh BUILD_DIR}
T=$(mktemp -d "${TMPDIR:-/tmp}/dlic-conftest.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
fails=0

sh conformance/run.sh "$B" --quick > "$T/log" 2>&1 || {
    grep -v '^PASS' "$T/log" >&2
    echo "conformance.sh: FAIL: conformance/run.sh --quick" >&2
    fails=$((fails + 1))
}
tail -n 1 "$T/log"

# A build whose dlic-info reports another model must fail as stale.
F=$T/fake
mkdir -p "$F/conformance"
for x in dlic-dec dlic-enc; do ln -s "$(cd "$B" && pwd)/$x" "$F/$x"; done
ln -s "$(cd "$B" && pwd)/conformance/pixhash" "$F/conformance/pixhash"
printf '#!/bin/sh\necho "Model id:    0123456789abcdef"\n' > "$F/dlic-info"
chmod +x "$F/dlic-info"
if sh conformance/run.sh "$F" --quick > "$T/stale" 2>&1; then
    echo "conformance.sh: FAIL: stale vectors not reported" >&2
    fails=$((fails + 1))
elif ! grep -q 'stale vectors' "$T/stale"; then
    echo "conformance.sh: FAIL: stale vectors: $(cat "$T/stale")" >&2
    fails=$((fails + 1))
fi

[ "$fails" -eq 0 ] || exit 1
echo "conformance.sh: ok"
