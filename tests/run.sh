#!/bin/sh
# Runs every unit test binary and every CLI test script against build dir $1.
# Ends with the names of the tests that failed and the last lines of what
# each printed, so that the tail of a CI log says which test failed and why.
set -u
B=${1:-build}
L=$(mktemp -d)
trap 'rm -rf "$L"' EXIT INT TERM
failed=
# one NAME COMMAND...: runs COMMAND, its output to stdout and to $L/log
one() {
    name=$1
    shift
    echo "== $name"
    { "$@" 2>&1; echo $? > "$L/rc"; } | tee "$L/log"
    if [ "$(cat "$L/rc")" != 0 ]; then
        failed="$failed $name"
        { echo "== $name: exit $(cat "$L/rc"); its last lines:"; tail -n 15 "$L/log"; } >> "$L/failed"
    fi
}
for t in "$B"/tests/test_*; do
    [ -x "$t" ] || continue
    one "$t" "$t"
done
for s in tests/cli/*.sh; do
    [ -f "$s" ] || continue
    one "$s" sh "$s" "$B"
done
if [ -z "$failed" ]; then
    echo "ALL TESTS PASSED"
    exit 0
fi
cat "$L/failed"
echo "SOME TESTS FAILED:$failed"
exit 1
