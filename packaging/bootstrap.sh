#!/bin/sh
# Install StarRocks Console from this checkout into ./.venv.
#   sh packaging/bootstrap.sh        the console
#   sh packaging/bootstrap.sh test   the console and what its tests need
# On Debian/Ubuntu it first installs, with apt, the system libraries Qt needs on a bare system
# (and for the tests a private D-Bus + gnome-keyring, and curl).
set -eu
cd "$(dirname "$0")/.."
mode=${1:-run}

need_pkgs="python3-venv libglib2.0-0 libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1 libxkbcommon0 fonts-dejavu-core"
# Qt's xcb platform plugin, for a window on an X11/XWayland desktop (offscreen needs none of these).
need_pkgs="$need_pkgs libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0"
if [ "$mode" = test ]; then
    command -v dbus-daemon >/dev/null 2>&1 || need_pkgs="$need_pkgs dbus-daemon"
    command -v gnome-keyring-daemon >/dev/null 2>&1 || need_pkgs="$need_pkgs gnome-keyring"
    command -v curl >/dev/null 2>&1 || need_pkgs="$need_pkgs curl"
fi
if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
    missing=""
    for p in $need_pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        sudo=""
        [ "$(id -u)" = 0 ] || sudo=sudo
        echo "installing system packages:$missing" >&2
        $sudo apt-get update -qq
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
    fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
if [ "$mode" = test ]; then
    .venv/bin/pip install -q --disable-pip-version-check -e ".[test]"
else
    .venv/bin/pip install -q --disable-pip-version-check -e .
fi
