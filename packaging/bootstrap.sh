#!/bin/sh
# Install StarRocks Console from this checkout into ./.venv.
#   sh packaging/bootstrap.sh        the console
#   sh packaging/bootstrap.sh test   the console and what its tests need
#
# What the system must provide is checked by its presence, never by a package name: each shared
# library Qt loads is asked of the dynamic loader, a scalable font is looked for, `python3 -m venv`
# is tried, and for the tests dbus-daemon, gnome-keyring-daemon, curl, mysql (and as root mmdebstrap)
# are looked up on PATH.
# Package names differ between releases (Debian 13 and Ubuntu 24.04 renamed libglib2.0-0 to
# libglib2.0-0t64), so a name is chosen only for what is missing, among those this release has.
# On a complete system neither apt nor sudo is called. apt's output goes to a log shown only when
# it fails; pip's to .venv/pip-install.log, summed up here as it goes.
# packaging/check_fresh.sh runs the README's two commands on fresh Debian 12, Debian 13 and
# Ubuntu 24.04 systems.
set -eu
cd "$(dirname "$0")/.."
mode=${1:-run}
case $mode in
    run | test) ;;
    *) echo "usage: sh packaging/bootstrap.sh [test]" >&2; exit 2 ;;
esac

# The sonames Qt's wheel links against (QtCore/Gui/Widgets/DBus, the offscreen, xcb and wayland
# platform plugins), each with the package that ships it on Debian and Ubuntu; a "t64" variant of
# the name is preferred where the release has one.
qt_libs="
libglib-2.0.so.0 libglib2.0-0
libgthread-2.0.so.0 libglib2.0-0
libGL.so.1 libgl1
libEGL.so.1 libegl1
libX11.so.6 libx11-6
libdbus-1.so.3 libdbus-1-3
libfontconfig.so.1 libfontconfig1
libfreetype.so.6 libfreetype6
libxkbcommon.so.0 libxkbcommon0
libz.so.1 zlib1g
libzstd.so.1 libzstd1
libX11-xcb.so.1 libx11-xcb1
libxcb.so.1 libxcb1
libxcb-cursor.so.0 libxcb-cursor0
libxcb-glx.so.0 libxcb-glx0
libxcb-icccm.so.4 libxcb-icccm4
libxcb-image.so.0 libxcb-image0
libxcb-keysyms.so.1 libxcb-keysyms1
libxcb-randr.so.0 libxcb-randr0
libxcb-render-util.so.0 libxcb-render-util0
libxcb-render.so.0 libxcb-render0
libxcb-shape.so.0 libxcb-shape0
libxcb-shm.so.0 libxcb-shm0
libxcb-sync.so.1 libxcb-sync1
libxcb-util.so.1 libxcb-util1
libxcb-xfixes.so.0 libxcb-xfixes0
libxcb-xkb.so.1 libxcb-xkb1
libxkbcommon-x11.so.0 libxkbcommon-x11-0
libwayland-client.so.0 libwayland-client0
libwayland-cursor.so.0 libwayland-cursor0
libwayland-egl.so.1 libwayland-egl1
"

step() { printf '%s\n' "$*"; }
fail() { printf 'bootstrap: %s\n' "$*" >&2; exit 1; }

apt_log=""
venv_log=""
rc_file=""
trap 'rm -f "$apt_log" "$venv_log" "$rc_file"' EXIT
trap 'exit 130' INT TERM

# A need is "what-is-missing=candidate|candidate…", candidates in order of preference; "_" in what
# is missing reads as a space.
needs=""
add_need() {
    case " $needs " in *" $1 "*) ;; *) needs="${needs:+$needs }$1" ;; esac
}

apt_updated=""
sudo=""
# Installs with apt one package for each need given, named as this release names it.
apt_install() {
    what=""
    libs=0
    others=""
    for need in "$@"; do
        case ${need%%=*} in
            *.so.*)
                libs=$((libs + 1))
                [ "$libs" -gt 3 ] || what="${what:+$what, }${need%%=*}"
                ;;
            *) others="${others:+$others, }$(echo "${need%%=*}" | tr _ ' ')" ;;
        esac
    done
    [ "$libs" -le 3 ] || what="$libs libraries Qt loads ($what...)"
    what="$what${what:+${others:+, }}$others"
    if ! command -v apt-get >/dev/null 2>&1; then
        fail "missing: $what. Install them with this system's package manager, then run this again."
    fi
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null 2>&1 \
            || fail "missing: $what. Run this as root (or install sudo) so that apt can install them."
        sudo=sudo
    fi
    step "missing: $what"
    apt_log=$(mktemp "${TMPDIR:-/tmp}/starrocks-console-apt.XXXXXX")
    if [ -z "$apt_updated" ]; then
        step "updating apt's package lists${sudo:+ (with sudo)}..."
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get -q update >"$apt_log" 2>&1 || apt_failed "apt-get update"
        apt_updated=1
    fi
    pkgs=""
    for need in "$@"; do
        pkg=""
        rest="${need#*=}|"
        while [ -n "$rest" ]; do
            cand=${rest%%|*}
            rest=${rest#*|}
            if LC_ALL=C apt-cache policy "$cand" 2>/dev/null | grep -q '^  Candidate: [^(]'; then
                pkg=$cand
                break
            fi
        done
        [ -n "$pkg" ] || fail "no package of this release provides $(echo "${need%%=*}" | tr _ ' ')" \
            "(tried: $(echo "${need#*=}" | tr '|' ' '))"
        case " $pkgs " in *" $pkg "*) ;; *) pkgs="${pkgs:+$pkgs }$pkg" ;; esac
    done
    # shellcheck disable=SC2086 # one word per package
    set -- $pkgs
    step "installing $# system package(s)${sudo:+ with sudo}: $pkgs"
    # shellcheck disable=SC2086
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get -q -y --no-install-recommends \
        -o DPkg::Lock::Timeout=300 install $pkgs >>"$apt_log" 2>&1 || apt_failed "apt-get install"
    rm -f "$apt_log"
}
apt_failed() {
    printf 'bootstrap: %s failed; its output:\n' "$1" >&2
    cat "$apt_log" >&2
    exit 1
}

# Prints the sonames of $qt_libs the dynamic loader cannot load (for python3's own architecture).
missing_sonames() {
    printf '%s\n' "$qt_libs" | python3 -c '
import ctypes, sys
for line in sys.stdin:
    if line.split():
        try:
            ctypes.CDLL(line.split()[0])
        except OSError:
            print(line.split()[0])
'
}
has_python() { command -v python3 >/dev/null 2>&1 && python3 -c 'import ctypes' 2>/dev/null; }
venv_works() {
    [ -x .venv/bin/python ] \
        && .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
        && .venv/bin/python -m pip --version >/dev/null 2>&1
}
has_font() {
    if command -v fc-list >/dev/null 2>&1; then
        [ -n "$(fc-list :scalable=true family 2>/dev/null | head -n 1)" ]
        return
    fi
    # The folders fontconfig reads by default (fc-list comes with fontconfig, which Qt does not need).
    for d in /usr/share/fonts /usr/local/share/fonts \
        "${XDG_DATA_HOME:-${HOME:-/nonexistent}/.local/share}/fonts" "${HOME:-/nonexistent}/.fonts"; do
        [ -d "$d" ] || continue
        found=$(find "$d" \( -iname '*.ttf' -o -iname '*.otf' -o -iname '*.ttc' -o -iname '*.pfb' \) -print \
            2>/dev/null | head -n 1)
        [ -z "$found" ] || return 0
    done
    return 1
}

step "checking the system..."
# Everything else is checked with python3 (the dynamic loader through ctypes), so a system without
# it (a minimal container) gets it first.
if ! has_python; then
    apt_install "python3=python3"
fi
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || fail "StarRocks Console needs Python 3.11 or newer; python3 here is" \
        "$(python3 -c 'import sys; print(sys.version.split()[0])')."
pyver=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')

missing_libs=" $(missing_sonames | tr '\n' ' ') "
while read -r soname pkg; do
    [ -n "$soname" ] || continue
    case $missing_libs in *" $soname "*) add_need "$soname=${pkg}t64|$pkg" ;; esac
done <<EOF
$qt_libs
EOF
has_font || add_need "a_scalable_font=fonts-dejavu-core"
if [ "$mode" = test ]; then
    command -v dbus-daemon >/dev/null 2>&1 || add_need "dbus-daemon=dbus-daemon|dbus"
    command -v gnome-keyring-daemon >/dev/null 2>&1 || add_need "gnome-keyring-daemon=gnome-keyring"
    command -v curl >/dev/null 2>&1 || add_need "curl=curl"
    # The mysql command-line client drives the sandbox's query port in the tests.
    command -v mysql >/dev/null 2>&1 || add_need "the_mysql_client=mariadb-client|default-mysql-client"
    # The .deb's install into fresh Debian systems (tests/packaging/test_frozen.py) makes them with
    # mmdebstrap and runs as root only; elsewhere it is skipped, so it is asked for only here and only
    # where this release has it.
    if [ "$(id -u)" = 0 ] && ! command -v mmdebstrap >/dev/null 2>&1 \
        && LC_ALL=C apt-cache policy mmdebstrap 2>/dev/null | grep -q '^  Candidate: [^(]'; then
        add_need "mmdebstrap=mmdebstrap"
    fi
fi

venv_log=$(mktemp "${TMPDIR:-/tmp}/starrocks-console-venv.XXXXXX")
if ! venv_works; then
    step "creating .venv (Python $pyver)..."
    # Debian and Ubuntu ship ensurepip apart from Python: without it `python3 -m venv` fails, and
    # that failure, not a package name, says that python3.X-venv is needed.
    python3 -m venv .venv >"$venv_log" 2>&1 || add_need "python3_-m_venv=python$pyver-venv|python3-venv"
fi

if [ -n "$needs" ]; then
    # shellcheck disable=SC2086
    apt_install $needs
    if ! venv_works; then
        step "creating .venv (Python $pyver)..."
        python3 -m venv .venv >"$venv_log" 2>&1 || { cat "$venv_log" >&2; fail "python3 -m venv failed"; }
    fi
    left=$(missing_sonames | tr '\n' ' ')
    [ -z "$left" ] || fail "still missing after apt: $left"
    has_font || fail "still no scalable font after apt"
else
    step "nothing missing: no apt needed"
fi
venv_works || fail ".venv/bin/python cannot run pip; remove .venv and run this again"

if [ "$mode" = test ]; then target=".[test]"; else target="."; fi
step "installing the console and its dependencies into .venv (this takes ~20 s, more on a first download)..."
started=$(date +%s)
pip_log=.venv/pip-install.log
: >"$pip_log"
rc_file=$(mktemp "${TMPDIR:-/tmp}/starrocks-console-pip.XXXXXX")
tty=""
width=77
if [ -t 1 ]; then
    tty=1
    cols=$(stty size </dev/tty 2>/dev/null | cut -d ' ' -f 2)
    [ "${cols:-0}" -lt 23 ] || width=$((cols - 3))
fi

# Sums pip's output up as it comes: on a terminal one line rewritten in place (the package being
# collected, downloaded, installed), otherwise one line per download; pip's own text goes whole to
# $pip_log.
pip_progress() {
    n=0
    last=""
    while IFS= read -r line; do
        printf '%s\n' "$line" >>"$pip_log"
        msg=""
        case $line in
            "Collecting "*)
                n=$((n + 1))
                name=${line#Collecting }
                [ -z "$tty" ] || msg="collecting [$n] ${name%%[<>=!~ ;([]*}"
                ;;
            *"Downloading "*)
                file=${line#*Downloading }
                file=${file%% *}
                file=${file##*/}
                size=${line##* (}
                case $size in *")") size=" (${size%)})" ;; *) size="" ;; esac
                case $file in
                    *.metadata) ;;
                    *-*) rest=${file#*-}; msg="downloading ${file%%-*} ${rest%%-*}$size" ;;
                    *) msg="downloading $file$size" ;;
                esac
                ;;
            *"Installing build dependencies"* | *"editable metadata"*)
                [ -z "$tty" ] || msg="preparing starrocks-console itself"
                ;;
            "Installing collected packages: "*)
                old_ifs=$IFS
                IFS=,
                # shellcheck disable=SC2086
                set -- ${line#Installing collected packages: }
                IFS=$old_ifs
                msg="installing $# package(s)..."
                ;;
        esac
        if [ -z "$msg" ] || [ "$msg" = "$last" ]; then continue; fi
        last=$msg
        if [ -n "$tty" ]; then
            printf "\r\033[K  %.${width}s" "$msg"
        else
            printf '  %s\n' "$msg"
        fi
    done
    [ -z "$tty" ] || printf '\r\033[K'
}
{
    rc=0
    PYTHONUNBUFFERED=1 .venv/bin/python -m pip install --disable-pip-version-check --progress-bar off \
        -e "$target" 2>&1 || rc=$?
    echo "$rc" >"$rc_file"
} | pip_progress
rc=$(cat "$rc_file")
if [ "$rc" != 0 ]; then
    printf 'bootstrap: pip failed (exit %s); the end of its output (all of it in %s):\n' "$rc" "$pip_log" >&2
    tail -n 30 "$pip_log" >&2
    exit 1
fi
installed=$(sed -n 's/^Successfully installed //p' "$pip_log" | wc -w)
warnings=$(grep -c '^WARNING' "$pip_log" || true)
note=""
[ "$warnings" = 0 ] || note=", $warnings warning(s) from pip"
step "  done in $(($(date +%s) - started)) s: $installed package(s) installed or updated$note (pip's output: $pip_log)"
