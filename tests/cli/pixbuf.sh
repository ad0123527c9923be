#!/bin/sh
# The gdk-pixbuf loader (gdk-pixbuf/io-dlic.c) as image viewers use it:
# exact pixels, size queries, scaled and byte-at-a-time loads, errors,
# gdk-pixbuf-thumbnailer and the shared-mime-info definition.
# Usage: sh tests/cli/pixbuf.sh BUILD_DIR   (from the repository root)
# Skips (exit 0) without the gdk-pixbuf development files.
#
# The loader and gdk-pixbuf/test-pixbuf.c are built without sanitizers into
# build/: gdk-pixbuf-thumbnailer and gdk-pixbuf-query-loaders, which dlopen
# the loader, are not ASan programs. The streams come from BUILD_DIR's tools.
set -u
B=${1:?usage: pixbuf.sh BUILD_DIR}
L=build
LC_ALL=C
export LC_ALL

skip() { echo "pixbuf.sh: SKIP: $*"; exit 0; }
fail() { echo "pixbuf.sh: FAIL: $*" >&2; exit 1; }

pkg-config --exists gdk-pixbuf-2.0 gio-2.0 2>/dev/null ||
    skip "no gdk-pixbuf-2.0/gio-2.0 development files (libgdk-pixbuf-2.0-dev)"
QUERY=$(pkg-config --variable=gdk_pixbuf_query_loaders gdk-pixbuf-2.0)
[ -x "$QUERY" ] || QUERY=$(command -v gdk-pixbuf-query-loaders) ||
    skip "no gdk-pixbuf-query-loaders"
command -v update-mime-database >/dev/null 2>&1 ||
    skip "no update-mime-database (shared-mime-info)"

T=$(mktemp -d "${TMPDIR:-/tmp}/dlic-pixbuf.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

# A make of its own: not the jobserver or the variables of a calling make.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -j2 BUILD=$L pixbuf-loader \
    $L/gdk-pixbuf/test-pixbuf > "$T/make.log" 2>&1 ||
    { cat "$T/make.log" >&2; fail "make BUILD=$L pixbuf-loader"; }
TP=$L/gdk-pixbuf/test-pixbuf
MOD=$(cd "$L/gdk-pixbuf" && pwd)/libpixbufloader-dlic.so

# Loaders cache: the system's loaders plus the built one, as once installed.
SYSDIR=$(pkg-config --variable=gdk_pixbuf_moduledir gdk-pixbuf-2.0)
# shellcheck disable=SC2046
"$QUERY" $(ls "$SYSDIR"/*.so 2>/dev/null) "$MOD" > "$T/loaders.cache" 2>"$T/err" ||
    { cat "$T/err" >&2; fail "gdk-pixbuf-query-loaders"; }
grep -q '^"dlic" 4 ' "$T/loaders.cache" || fail "format flags are not THREADSAFE only"
grep -q '^"image/x-dlic" ""$' "$T/loaders.cache" || fail "no image/x-dlic in the cache"
grep -q '^"\\211DLIC\\r\\n\\032" "" 100$' "$T/loaders.cache" ||
    fail "signature pattern missing from the cache"
GDK_PIXBUF_MODULE_FILE=$T/loaders.cache
export GDK_PIXBUF_MODULE_FILE

# A local MIME database with gdk-pixbuf/dlic-mime.xml: gdk-pixbuf picks a
# loader by the MIME type that GIO guesses from the content (and the name).
mkdir -p "$T/share/mime/packages"
cp gdk-pixbuf/dlic-mime.xml "$T/share/mime/packages/dlic.xml"
update-mime-database "$T/share/mime" > "$T/err" 2>&1 ||
    { cat "$T/err" >&2; fail "update-mime-database"; }
XDG_DATA_HOME=$T/share
XDG_DATA_DIRS=$T/share:/usr/local/share:/usr/share
export XDG_DATA_HOME XDG_DATA_DIRS

# run CMD...: must succeed; output in $T/out, stderr in $T/err.
run() {
    "$@" > "$T/out" 2>"$T/err" || {
        rc=$?
        cat "$T/out" "$T/err" >&2
        fail "exit $rc from: $*"
    }
}

D=tests/data
run "$B/dlic-enc" -q 60 "$D/rgb.png" -o "$T/rgb.dlic"
run "$B/dlic-enc" -q 30 "$D/gray.png" -o "$T/gray.dlic"
run "$B/dlic-enc" "$D/icc.png" -o "$T/icc.dlic"
run "$B/dlic-dec" "$T/rgb.dlic" -o "$T/rgb.ppm"
run "$B/dlic-dec" "$T/gray.dlic" -o "$T/gray.pgm"
run "$B/dlic-dec" "$T/icc.dlic" -o "$T/icc.ppm"
# Loads at most half as wide and high decode with g_s lite (io-dlic.c).
run "$B/dlic-dec" --lite "$T/rgb.dlic" -o "$T/rgb-lite.ppm"
run "$B/dlic-dec" --lite "$T/gray.dlic" -o "$T/gray-lite.pgm"
run "$B/dlic-dec" --lite "$T/icc.dlic" -o "$T/icc-lite.ppm"
[ "$(head -c 2 "$T/gray.pgm")" = P5 ] || fail "gray stream did not decode to PGM"
# The ICC profile that icc.dlic carries: its iccp chunk's payload.
run "$B/dlic-info" "$T/icc.dlic"
# shellcheck disable=SC2046
set -- $(sed -n 's/^  iccp  *\([0-9]*\)  *\([0-9]*\) .*/\1 \2/p' "$T/out")
[ $# -eq 2 ] || fail "no iccp chunk in icc.dlic"
dd if="$T/icc.dlic" of="$T/icc.icc" bs=1 skip=$(($1 + 8)) count="$2" 2>/dev/null

# size W H of a PNM written by dlic-dec.
size() { sed -n 2p "$1"; }

# pixel_tests: every way to load, against dlic-dec's output ($TP).
pixel_tests() {
    for n in rgb gray icc; do
        ref=$T/$n.ppm
        [ -f "$ref" ] || ref=$T/$n.pgm
        # shellcheck disable=SC2046
        set -- $(size "$ref")
        if [ $n = icc ]; then
            run $TP load "$T/$n.dlic" "$ref" "$T/icc.icc"
        else
            run $TP load "$T/$n.dlic" "$ref"
        fi
        run $TP info "$T/$n.dlic" "$1" "$2"
        lref=$ref
        [ $((2 * 31)) -le "$1" ] && [ $((2 * 17)) -le "$2" ] &&
            lref=$T/$n-lite.${ref##*.}
        run $TP scale "$T/$n.dlic" 31 17 "$lref"
        run $TP scale "$T/$n.dlic" 150 100 "$ref"
        # its set_size load is a third as high: g_s lite
        run $TP bytes "$T/$n.dlic" "$ref" "$T/$n-lite.${ref##*.}"
        run $TP sniff "$T/$n.dlic" "$ref"
    done
    run $TP threads "$T/rgb.dlic" "$T/rgb.ppm"
}
pixel_tests

# shared-mime-info: a local database holding gdk-pixbuf/dlic-mime.xml finds
# image/x-dlic by name and, renamed, by the signature.
cp "$T/rgb.dlic" "$T/renamed"
for f in "$T/rgb.dlic" "$T/renamed"; do
    run $TP mime "$f"
    [ "$(cat "$T/out")" = image/x-dlic ] || fail "$f: MIME type $(cat "$T/out")"
    if command -v gio >/dev/null 2>&1; then
        run gio info -a standard::content-type "$f"
        grep -q 'standard::content-type: image/x-dlic$' "$T/out" ||
            fail "gio info $f: $(cat "$T/out")"
    fi
done
printf 'not an image' > "$T/text.txt"
run $TP mime "$T/text.txt"
[ "$(cat "$T/out")" != image/x-dlic ] || fail "a text file taken for DLIC"

# Bad files: a GError with libdlic's message, never a crash.
size=$(wc -c < "$T/rgb.dlic" | tr -d ' ')
head -c $((size - 1)) "$T/rgb.dlic" > "$T/cut_end.dlic"
head -c 30 "$T/rgb.dlic" > "$T/cut_head.dlic"
head -c 100 "$T/rgb.dlic" > "$T/cut_mid.dlic"
cp "$T/rgb.dlic" "$T/flip.dlic"
printf '\125' | dd of="$T/flip.dlic" bs=1 seek=$((size - 20)) conv=notrunc 2>/dev/null
cp "$T/rgb.dlic" "$T/head.dlic"                  # a byte of HEAD's width
printf '\377' | dd of="$T/head.dlic" bs=1 seek=20 conv=notrunc 2>/dev/null
{ cat "$T/rgb.dlic"; printf 'x'; } > "$T/tail.dlic"
# A stream of the test model, unless that is the embedded model too.
other=
if [ -f weights/dlic-test.dlicm ]; then
    run "$B/dlic-enc" --weights weights/dlic-test.dlicm "$D/rgb.png" -o "$T/other.dlic"
    run "$B/dlic-info" "$T/other.dlic"
    grep -q '^Model id:.*matches the embedded' "$T/out" || other=yes
fi

# expect_fail FILE MESSAGE: every load path fails with MESSAGE.
expect_fail() {
    $TP fail "$1" > "$T/out" 2>"$T/err" || { cat "$T/err" >&2; fail "$1: $(cat "$T/out")"; }
    [ "$(grep -c "Cannot load DLIC image: $2" "$T/out")" -eq 3 ] ||
        { cat "$T/out" >&2; fail "$1: want '$2' on every path"; }
}
error_tests() {
    expect_fail "$T/cut_end.dlic" "data ends early"
    expect_fail "$T/cut_head.dlic" "data ends early"
    expect_fail "$T/cut_mid.dlic" "data ends early"
    expect_fail "$T/flip.dlic" "chunk checksum mismatch"
    expect_fail "$T/head.dlic" "chunk checksum mismatch"
    expect_fail "$T/tail.dlic" "corrupt stream"
    [ -z "$other" ] || expect_fail "$T/other.dlic" "stream was made with another model"
}
error_tests

# Under a sanitizer build (make test), the loader and test-pixbuf once more
# with ASan and UBSan: an ASan program may dlopen an ASan module. The cache
# is edited by hand, as gdk-pixbuf-query-loaders is no ASan program.
if [ "$B" != "$L" ] && nm "$B/libdlic.a" 2>/dev/null | grep -q __asan_; then
    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -j2 BUILD="$B" OPT="-O1 -g" \
        SAN="$SAN" pixbuf-loader "$B/gdk-pixbuf/test-pixbuf" > "$T/make.log" 2>&1 ||
        { cat "$T/make.log" >&2; fail "make BUILD=$B pixbuf-loader"; }
    SANMOD=$(cd "$B/gdk-pixbuf" && pwd)/libpixbufloader-dlic.so
    sed "s|^\"$MOD\"\$|\"$SANMOD\"|" "$T/loaders.cache" > "$T/san.cache"
    grep -q "^\"$SANMOD\"\$" "$T/san.cache" || fail "no sanitizer loader in the cache"
    GDK_PIXBUF_MODULE_FILE=$T/san.cache
    TP=$B/gdk-pixbuf/test-pixbuf
    pixel_tests
    error_tests
    GDK_PIXBUF_MODULE_FILE=$T/loaders.cache
    TP=$L/gdk-pixbuf/test-pixbuf
fi

# gdk-pixbuf-thumbnailer, as file managers call it (dlic.thumbnailer).
if command -v gdk-pixbuf-thumbnailer >/dev/null 2>&1; then
    run gdk-pixbuf-thumbnailer -s 32 "$T/rgb.dlic" "$T/thumb.png"
    [ "$(od -An -c -j1 -N3 "$T/thumb.png" | tr -d ' ')" = PNG ] ||
        fail "the thumbnail is not a PNG"
    # 72 x 40 fits 32 x 32 as 32 x 18.
    [ "$(od -An -tu1 -j16 -N8 "$T/thumb.png" | tr -s ' ')" = " 0 0 0 32 0 0 0 18" ] ||
        fail "thumbnail size: $(od -An -tu1 -j16 -N8 "$T/thumb.png")"
    grep -q '^Exec=gdk-pixbuf-thumbnailer -s %s %u %o$' gdk-pixbuf/dlic.thumbnailer ||
        fail "dlic.thumbnailer: unexpected Exec line"
else
    echo "pixbuf.sh: no gdk-pixbuf-thumbnailer; thumbnail test skipped"
fi

echo "pixbuf.sh: ok"
