#!/bin/sh
# Proves the README's two commands on a fresh system of one release:
#   bookworm (Debian 12), trixie (Debian 13) or noble (Ubuntu 24.04).
# It builds a minimal system with debootstrap (no python3 even), adds an ordinary user "dev" with
# sudo, copies this checkout's HEAD into the user's home (git archive) and, as that user:
#   1. runs the README's first command: packaging/bootstrap.sh, then the console on its sandbox
#      (offscreen; it must still be running after 30 s), a screenshot of the Instances view, and
#      ldd over Qt's libraries and platform plugins (no library may be "not found");
#   2. runs packaging/bootstrap.sh again: it must call neither apt-get, apt-cache nor sudo
#      (those three are wrapped in the chroot to log every call);
#   3. runs the README's second command, bootstrap.sh test then pytest on a few tests (a window
#      test, the keyring test on a real gnome-keyring, the curl replay), none may be skipped;
#      then bootstrap.sh test once more: again no apt or sudo call.
# Not run by CI: it downloads a base system, Qt's libraries and ~250 MB of wheels. Measured on 2 cores
# with fast mirrors: bookworm 3 min, trixie 2.3 min, noble 2.5 min; the chroot takes 1.5 GB and is
# removed afterwards. Mounts live in a private mount namespace (unshare), so none outlives it.
# Without Ubuntu's keyring on the host, noble's base system is fetched unchecked (--no-check-gpg);
# apt inside the chroot then checks everything else with the keyring it installed.
#
# Usage (as root):  sh packaging/check_fresh.sh RELEASE [OUT_DIR]
#   OUT_DIR (default /tmp/check_fresh-RELEASE) receives the logs, the screenshot and times.txt.
#   CHROOTS=DIR  where the chroot is built (default /var/tmp/starrocks-console-chroots);
#   KEEP=1 keeps it afterwards; DEBIAN_MIRROR / UBUNTU_MIRROR override the mirrors;
#   CA_BUNDLE=FILE (default: $PIP_CERT) the CA certificates pip in the chroot trusts, for a network
#   whose HTTPS goes through an intercepting proxy.
set -eu

if [ "${1:-}" = --inside ]; then
    inside=1
    shift
else
    inside=""
fi
release=${1:?usage: sh packaging/check_fresh.sh bookworm|trixie|noble [OUT_DIR]}
out=${2:-/tmp/check_fresh-$release}
chroots=${CHROOTS:-/var/tmp/starrocks-console-chroots}
root=$chroots/$release
project=$(cd "$(dirname "$0")/.." && pwd)

case $release in
    bookworm | trixie)
        mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
        sources="deb $mirror $release main
deb $mirror $release-updates main
deb http://deb.debian.org/debian-security $release-security main"
        components=main
        ;;
    noble)
        mirror=${UBUNTU_MIRROR:-http://archive.ubuntu.com/ubuntu}
        # A fresh Ubuntu install has all four components, and the updates and security pockets.
        sources="deb $mirror noble main restricted universe multiverse
deb $mirror noble-updates main restricted universe multiverse
deb http://security.ubuntu.com/ubuntu noble-security main restricted universe multiverse"
        components=main,restricted,universe,multiverse
        ;;
    *) echo "check_fresh: unknown release $release (bookworm, trixie or noble)" >&2; exit 2 ;;
esac

readme_run="sh packaging/bootstrap.sh && .venv/bin/starrocks-console --sandbox"
readme_test="sh packaging/bootstrap.sh test && .venv/bin/python -m pytest"

if [ -z "$inside" ]; then
    [ "$(id -u)" = 0 ] || { echo "check_fresh: run as root (debootstrap, chroot, mounts)" >&2; exit 1; }
    for line in "$readme_run" "$readme_test"; do
        grep -qxF "    $line" "$project/README.md" \
            || { echo "check_fresh: the README no longer says: $line" >&2; exit 1; }
    done
    command -v debootstrap >/dev/null 2>&1 || {
        apt-get -q update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get -q -y install debootstrap >/dev/null
    }
    [ ! -e "$root" ] || { echo "check_fresh: $root exists; remove it first" >&2; exit 1; }
    mkdir -p "$chroots" "$out"
    rc=0
    unshare --mount --propagation private sh "$0" --inside "$release" "$out" || rc=$?
    # The namespace is gone, and its mounts with it: nothing below $root is the host's any more.
    if [ -z "${KEEP:-}" ]; then
        rm -rf --one-file-system "$root"
    fi
    if [ "$rc" = 0 ]; then echo "check_fresh $release: PASS (see $out)"; else echo "check_fresh $release: FAIL (see $out)"; fi
    exit "$rc"
fi

# --- inside the private mount namespace ---
times=$out/times.txt
: >"$times"
now() { date +%s; }
t0=$(now)
mark() { printf '%-58s %4ss\n' "$1" "$(($(now) - t0))" | tee -a "$times"; t0=$(now); }
fail() { echo "check_fresh $release: $*" >&2; exit 1; }

echo "== debootstrap $release (minbase)"
script=""
[ -e "/usr/share/debootstrap/scripts/$release" ] || script=/usr/share/debootstrap/scripts/gutsy
keyring_opt=""
if [ "$release" = noble ]; then
    if [ -e /usr/share/keyrings/ubuntu-archive-keyring.gpg ]; then
        keyring_opt=--keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg
    else
        # Debian 12 has no Ubuntu keyring package; apt inside the chroot checks with its own.
        keyring_opt=--no-check-gpg
    fi
fi
# shellcheck disable=SC2086
debootstrap --variant=minbase --components="$components" $keyring_opt "$release" "$root" "$mirror" $script \
    >"$out/debootstrap.log" 2>&1 || { tail -n 30 "$out/debootstrap.log" >&2; fail "debootstrap failed"; }
mark "debootstrap --variant=minbase"

mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
cp -L --remove-destination /etc/resolv.conf "$root/etc/resolv.conf"
# sudo looks its host name up.
printf '127.0.1.1 %s\n' "$(hostname)" >>"$root/etc/hosts"

# The machine as a person would get it: full sources, an ordinary user who may sudo. Services are not
# started inside a chroot (policy-rc.d), as usual for one.
printf '%s\n' "$sources" >"$root/etc/apt/sources.list"
rm -f "$root/etc/apt/sources.list.d/"*.sources
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
chroot "$root" sh -c 'apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get -q -y install sudo' \
    >"$out/setup.log" 2>&1 || { tail -n 30 "$out/setup.log" >&2; fail "installing sudo failed"; }
chroot "$root" useradd -m -s /bin/sh dev
echo 'dev ALL=(ALL) NOPASSWD: ALL' >"$root/etc/sudoers.d/dev"
chmod 440 "$root/etc/sudoers.d/dev"
calls=/var/log/bootstrap-calls.log
for b in /usr/bin/apt-get /usr/bin/apt-cache /usr/bin/sudo; do
    mv "$root$b" "$root$b.real"
    printf '#!/bin/sh\necho "%s $*" >>%s\nexec %s.real "$@"\n' "${b##*/}" "$calls" "$b" >"$root$b"
    chmod 755 "$root$b"
done
: >"$root$calls"
chmod 666 "$root$calls"
mkdir "$root/home/dev/starrocks-console"
git -C "$project" archive HEAD | tar -x -C "$root/home/dev/starrocks-console"
chroot "$root" chown -R dev:dev /home/dev/starrocks-console
grep -h '^PRETTY_NAME' "$root/etc/os-release" | tee -a "$times"
mark "sources, sudo, user dev, project copied"

ca_bundle=${CA_BUNDLE:-${PIP_CERT:-}}
pip_cert=""
if [ -n "$ca_bundle" ]; then
    cp "$ca_bundle" "$root/etc/check-fresh-ca.pem"
    pip_cert=PIP_CERT=/etc/check-fresh-ca.pem
fi

# Runs $1 as dev in the project folder, with a fresh login's environment and no display.
as_dev() {
    # shellcheck disable=SC2086
    chroot --userspec=dev:dev "$root" env -i HOME=/home/dev USER=dev LOGNAME=dev LANG=C.UTF-8 \
        PATH=/usr/local/bin:/usr/bin:/bin QT_QPA_PLATFORM=offscreen $pip_cert \
        sh -c "cd ~/starrocks-console && $1"
}
no_calls() {
    if [ -s "$root$calls" ]; then
        cat "$root$calls" >&2
        fail "$1 called apt or sudo"
    fi
}

# Runs $2 as dev, its output on screen and in $out/$1; fails when it fails.
logged() {
    {
        rc=0
        as_dev "$2" 2>&1 || rc=$?
        echo "$rc" >"$out/.rc"
    } | tee "$out/$1"
    [ "$(cat "$out/.rc")" = 0 ] || fail "$2: exit $(cat "$out/.rc")"
}

echo "== 1. $readme_run"
logged 1-bootstrap.log "sh packaging/bootstrap.sh"
cp "$root$calls" "$out/1-apt-and-sudo-calls.log"
mark "bootstrap.sh (first run)"
rc=0
as_dev "timeout 30 .venv/bin/starrocks-console --sandbox" >"$out/1-console.log" 2>&1 || rc=$?
[ "$rc" = 124 ] || { cat "$out/1-console.log" >&2; fail "the console exited with $rc before 30 s"; }
mark "starrocks-console --sandbox still running after 30 s"
as_dev ".venv/bin/starrocks-console screenshot --sandbox --view instances --out /tmp/instances.png" \
    >"$out/1-screenshot.log" 2>&1 || { cat "$out/1-screenshot.log" >&2; fail "screenshot failed"; }
cp "$root/tmp/instances.png" "$out/$release-instances.png"
mark "screenshot of the Instances view"
# What the console loads: the bindings, Core/Gui/Widgets/DBus, and the platform plugins for no
# display, X11 and Wayland with what they load in turn (Qt modules the console never imports, such
# as Qt Pdf, Qt Quick or the virtual keyboard input method, may want more and are left out).
# shellcheck disable=SC2016 # expanded by the shell inside the chroot
as_dev 'q=$(.venv/bin/python -c "import os, PySide6; print(os.path.dirname(PySide6.__file__))") &&
    for f in "$q"/QtCore.abi3.so "$q"/QtGui.abi3.so "$q"/QtWidgets.abi3.so \
        "$q"/Qt/lib/libQt6Core.so.6 "$q"/Qt/lib/libQt6Gui.so.6 "$q"/Qt/lib/libQt6Widgets.so.6 \
        "$q"/Qt/lib/libQt6DBus.so.6 "$q"/Qt/lib/libQt6XcbQpa.so.6 "$q"/Qt/lib/libQt6WaylandClient.so.6 \
        "$q"/Qt/lib/libQt6OpenGL.so.6 "$q"/Qt/plugins/platforms/libqoffscreen.so \
        "$q"/Qt/plugins/platforms/libqxcb.so "$q"/Qt/plugins/platforms/libqwayland.so \
        "$q"/Qt/plugins/xcbglintegrations/*.so "$q"/Qt/plugins/wayland-shell-integration/*.so \
        "$q"/Qt/plugins/wayland-graphics-integration-client/*.so \
        "$q"/Qt/plugins/wayland-decoration-client/*.so \
        "$q"/Qt/plugins/platforminputcontexts/lib*[!d]platforminputcontextplugin.so; do
        [ -e "$f" ] || { echo "$f: no such file"; continue; }
        ldd "$f" | grep "not found" | sed "s|^|${f#"$q"/}: |"
    done' >"$out/1-ldd-not-found.log" 2>&1 || true
[ ! -s "$out/1-ldd-not-found.log" ] || { cat "$out/1-ldd-not-found.log" >&2; fail "Qt needs a library bootstrap.sh did not install"; }
mark "ldd: Qt's libraries and platform plugins lack nothing"

echo "== 2. bootstrap.sh again"
: >"$root$calls"
logged 2-bootstrap-again.log "sh packaging/bootstrap.sh"
no_calls "the second bootstrap.sh"
mark "bootstrap.sh (second run, no apt/sudo)"

echo "== 3. $readme_test (a few tests)"
: >"$root$calls"
logged 3-bootstrap-test.log "sh packaging/bootstrap.sh test"
cp "$root$calls" "$out/3-apt-and-sudo-calls.log"
mark "bootstrap.sh test"
rc=0
as_dev ".venv/bin/python -m pytest -p no:cacheprovider -rs tests/ui/test_main_window.py tests/sandbox/test_curl_replay.py \
    -k 'dashboard_shows_the_sandbox or keeps_secrets_in_the_keyring or basic_txn_commit'" \
    >"$out/3-pytest.log" 2>&1 || rc=$?
tail -n 5 "$out/3-pytest.log"
[ "$rc" = 0 ] || { cat "$out/3-pytest.log" >&2; fail "pytest failed"; }
! grep -q -i 'skipped' "$out/3-pytest.log" || fail "a test was skipped"
grep -q ' 3 passed' "$out/3-pytest.log" || fail "not the 3 tests"
mark "pytest: a window, the keyring, curl (3 passed)"
: >"$root$calls"
logged 3-bootstrap-test-again.log "sh packaging/bootstrap.sh test"
no_calls "the second bootstrap.sh test"
mark "bootstrap.sh test (second run, no apt/sudo)"
du -sh --one-file-system "$root" | tee -a "$times"
