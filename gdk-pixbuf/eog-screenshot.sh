#!/bin/sh
# Opens a .dlic file in Eye of GNOME under Xvfb, with the loader of the
# build tree, and saves a screenshot (docs/viewer.png by default).
# Usage: sh gdk-pixbuf/eog-screenshot.sh [IMAGE [OUTPUT.png]]   (from the root)
#   IMAGE: a PNG/JPEG/WebP/PPM to encode with the embedded model at -q 75
#          (default: kodim23 of ../shared/data/kodak, else tests/data/rgb.png),
#          or a .dlic file shown as is.
# Needs the Debian packages eog, xvfb, xauth, imagemagick, x11-utils and
# dbus (dbus-run-session); none of them is needed to build or test DLIC.
# Environment: BUILD (default build), Q (quality, default 75), SIZE (screen,
# default 1024x704), SETTLE (seconds to wait for the window, default 8).
set -eu
B=${BUILD:-build}
Q=${Q:-75}
SIZE=${SIZE:-1024x704}
SETTLE=${SETTLE:-8}
IN=${1:-}
OUT=${2:-docs/viewer.png}
if [ -z "$IN" ]; then
    IN=tests/data/rgb.png
    [ -f ../shared/data/kodak/kodim23.png ] && IN=../shared/data/kodak/kodim23.png
fi
for tool in eog Xvfb import xwininfo dbus-run-session; do
    command -v $tool >/dev/null 2>&1 || {
        echo "eog-screenshot.sh: $tool not found (apt-get install eog xvfb" \
             "xauth imagemagick x11-utils dbus)" >&2
        exit 1
    }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/dlic-eog.XXXXXX")
XPID=
cleanup() {
    [ -z "$XPID" ] || kill "$XPID" 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

make -s BUILD="$B" tools pixbuf-loader
case $IN in
*.dlic) cp "$IN" "$T/image.dlic" ;;
*) "$B/dlic-enc" -q "$Q" "$IN" -o "$T/image.dlic" ;;
esac
NAME=$(basename "$IN")
NAME=${NAME%.*}.dlic
mv "$T/image.dlic" "$T/$NAME"

# The loader and the MIME type as an installation provides them.
QUERY=$(pkg-config --variable=gdk_pixbuf_query_loaders gdk-pixbuf-2.0)
SYSDIR=$(pkg-config --variable=gdk_pixbuf_moduledir gdk-pixbuf-2.0)
MOD=$(cd "$B/gdk-pixbuf" && pwd)/libpixbufloader-dlic.so
# shellcheck disable=SC2046
"$QUERY" $(ls "$SYSDIR"/*.so) "$MOD" > "$T/loaders.cache"
mkdir -p "$T/share/mime/packages"
cp gdk-pixbuf/dlic-mime.xml "$T/share/mime/packages/dlic.xml"
update-mime-database "$T/share/mime" 2>/dev/null
export GDK_PIXBUF_MODULE_FILE="$T/loaders.cache"
export XDG_DATA_HOME="$T/share"
export XDG_DATA_DIRS="$T/share:/usr/local/share:/usr/share"
export XDG_CONFIG_HOME="$T/config" XDG_CACHE_HOME="$T/cache"
export GSETTINGS_BACKEND=memory NO_AT_BRIDGE=1

# A free display number, then the X server.
n=99
while [ -e /tmp/.X11-unix/X$n ] || [ -e /tmp/.X$n-lock ]; do n=$((n + 1)); done
Xvfb :$n -screen 0 "${SIZE}x24" -nolisten tcp > "$T/xvfb.log" 2>&1 &
XPID=$!
export DISPLAY=:$n
i=0
until xwininfo -root >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 50 ] || { cat "$T/xvfb.log" >&2; exit 1; }
    sleep 0.2
done

# eog in a D-Bus session of its own; the screenshot is taken inside it.
# Without a window manager the window sits at the top left; its size is
# the screen's, as eog asks for a maximised window on a first run.
cat > "$T/shot.sh" <<EOF
eog --new-instance "$T/$NAME" > "$T/eog.log" 2>&1 &
pid=\$!
sleep $SETTLE
import -window root "$T/shot.png"
kill \$pid 2>/dev/null || true
EOF
dbus-run-session -- sh "$T/shot.sh"
grep -i 'dlic\|pixbuf' "$T/eog.log" >&2 || true

# Keep the file small (under 300 KB for docs/): the window without the
# empty screen around it, as a palette PNG of as many colours as fit.
for colours in 256 128 64 32; do
    convert "$T/shot.png" -trim +repage -strip -dither FloydSteinberg \
        -colors $colours "PNG8:$OUT"
    [ "$(wc -c < "$OUT")" -ge 300000 ] || break
done
echo "eog-screenshot.sh: $OUT ($(wc -c < "$OUT") bytes) shows $NAME"
