#!/bin/sh
# Every header compiles alone: the public header as C11 with -pedantic
# (and as C++ when a C++ compiler is installed) in a program that uses its
# signature constant, and each internal header of core/, format/ and codec/
# with the library's flags (templates and ISA-specific headers excepted: they
# are included only by the file that instantiates them). $1: build dir
# (unused).
set -u
CC=${CC:-cc}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cat > "$T/pub.c" <<'C'
#include "dlic/dlic.h"
#include <string.h>
int main(void)
{
    /* the signature's length agrees with its size constant */
    return sizeof(DLIC_SIGNATURE) - 1 == DLIC_SIGNATURE_SIZE &&
           !memcmp(DLIC_SIGNATURE, "\211DLIC\r\n\032", DLIC_SIGNATURE_SIZE) ? 0 : 1;
}
C
$CC -std=c11 -pedantic -Wall -Wextra -Werror -Iinclude "$T/pub.c" -o "$T/pub" ||
    fail "include/dlic/dlic.h does not compile alone"
"$T/pub" || fail "DLIC_SIGNATURE does not match DLIC_SIGNATURE_SIZE"
if command -v c++ >/dev/null 2>&1; then
    cp "$T/pub.c" "$T/pub.cc"
    c++ -Wall -Wextra -Werror -Iinclude -c "$T/pub.cc" -o "$T/pubxx.o" ||
        fail "include/dlic/dlic.h does not compile as C++"
fi

n=0
for h in $(find core format codec -name '*.h' | sort); do
    case $h in
    */x86/*|*_tmpl.h) continue ;;
    esac
    printf '#include "%s"\n#include "%s"\n' "$h" "$h" > "$T/one.c"
    $CC -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla \
        -D_POSIX_C_SOURCE=200809L -I. -Iinclude -c "$T/one.c" -o "$T/one.o" ||
        fail "$h does not compile alone (or twice)"
    n=$((n + 1))
done
[ "$n" -gt 20 ] || fail "only $n headers found"
echo "headers: the public one and $n internal ones compile alone"
