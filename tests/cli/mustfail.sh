#!/bin/sh
# Must-fail corpus (conformance/mustfail/cases.txt): dlic-dec must fail on
# each file with the listed exit status and a one-line message containing
# the listed dlic_strerror() text, within 60 s, without a crash or a
# sanitizer report, and without leaving an output file. dlic-info, which
# checks the container only, must exit with the listed status.
# Usage: sh tests/cli/mustfail.sh BUILD_DIR   (from the repository root)
set -u
B=${1:?usage: mustfail.sh BUILD_DIR}
D=conformance/mustfail
LC_ALL=C
# A sanitizer report must not pass for the expected exit status 1.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=87"
export LC_ALL ASAN_OPTIONS UBSAN_OPTIONS
T=$(mktemp -d "${TMPDIR:-/tmp}/dlic-mustfail.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
mkdir "$T/out"
fails=0 n=0
fail() { echo "mustfail.sh: FAIL: $*" >&2; fails=$((fails + 1)); }

want_model=$(sed -n 's/^# model \([0-9a-f]\{16\}\).*/\1/p' "$D/cases.txt")
have_model=$("$B/dlic-info" --model | sed -n 's/^Model id: *\([0-9a-f]\{16\}\).*/\1/p')
if [ "$want_model" != "$have_model" ]; then
    echo "mustfail.sh: FAIL: stale corpus: made with model ${want_model:-?}, the" \
         "embedded model is ${have_model:-?}; run 'sh conformance/regen.sh'" >&2
    exit 1
fi

while IFS='|' read -r name status istatus err msg desc; do
    case $name in ''|'#'*) continue ;; esac
    n=$((n + 1))
    f=$D/$name.dlic
    [ -f "$f" ] || { fail "$name: $f missing"; continue; }
    for fmt in png; do
        timeout 60 "$B/dlic-dec" "$f" -o "$T/out/x.$fmt" >"$T/stdout" 2>"$T/err" </dev/null
        got=$?
        if [ $got -ne "$status" ]; then
            fail "$name ($desc): exit $got, want $status: $(head -n 3 "$T/err")"
        elif [ "$(wc -l < "$T/err")" -ne 1 ]; then
            fail "$name: want one line on stderr: $(head -n 5 "$T/err")"
        elif ! grep -qF -- "$msg" "$T/err"; then
            fail "$name ($desc, $err): message '$(cat "$T/err")' lacks '$msg'"
        fi
        if [ -n "$(ls -A "$T/out")" ]; then
            fail "$name: output left behind: $(ls -A "$T/out")"
            rm -rf "$T/out" && mkdir "$T/out"
        fi
    done
    timeout 60 "$B/dlic-info" "$f" >/dev/null 2>"$T/err" </dev/null
    got=$?
    [ $got -eq "$istatus" ] ||
        fail "$name: dlic-info exit $got, want $istatus: $(head -n 3 "$T/err")"
done < "$D/cases.txt"

[ $n -gt 0 ] || fail "no cases in $D/cases.txt"
[ "$fails" -eq 0 ] || { echo "mustfail.sh: $fails failure(s) in $n cases" >&2; exit 1; }
echo "mustfail.sh: $n cases ok"
