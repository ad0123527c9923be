#!/bin/sh
# Installs the Debian packages DLIC needs to build, test and train.
# Runs as root (CI) or through sudo.
set -e
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    build-essential pkg-config \
    libpng-dev libjpeg-dev libwebp-dev libxxhash-dev libcmocka-dev \
    libgdk-pixbuf-2.0-dev shared-mime-info \
    python3-numpy python3-xxhash python3-torch python3-pil valgrind \
    emscripten nodejs chromium >/dev/null
