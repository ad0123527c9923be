# Shared prologue of the CLI test scripts in tests/cli/, sourced from the
# repository root right after `set -u`:
#
#     . tests/support/cli.sh "$@"
#
# It sets ME (the script's file name), B (the build dir, $1), ENC, DEC, INFO
# and BENCH (the tools in it), D (tests/data), LC_ALL=C and T (a temporary
# directory, removed on exit), and defines
#   fail MSG...  report "ME: FAIL: MSG" and exit 1 (a script that counts
#                failures instead redefines it);
#   run CMD...   CMD must succeed; its stderr is kept in $T/err.
ME=${0##*/}
B=${1:?usage: $ME BUILD_DIR}
ENC=$B/dlic-enc
DEC=$B/dlic-dec
INFO=$B/dlic-info
BENCH=$B/dlic-bench
D=tests/data
LC_ALL=C
export LC_ALL
T=$(mktemp -d "${TMPDIR:-/tmp}/dlic-${ME%.sh}.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

fail() { echo "$ME: FAIL: $*" >&2; exit 1; }

run() {
    "$@" 2>"$T/err" || { st=$?; cat "$T/err" >&2; fail "exit $st from: $*"; }
}
