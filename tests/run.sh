#!/bin/sh
# Runs every unit test binary and every CLI test script against build dir $1.
set -u
B=${1:-build}
fail=0
for t in "$B"/tests/test_*; do
    [ -x "$t" ] || continue
    echo "== $t"
    "$t" || fail=1
done
for s in tests/cli/*.sh; do
    [ -f "$s" ] || continue
    echo "== $s"
    sh "$s" "$B" || fail=1
done
[ $fail -eq 0 ] && echo "ALL TESTS PASSED" || echo "SOME TESTS FAILED"
exit $fail
