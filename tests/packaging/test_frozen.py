"""The frozen application as it ships: built with packaging/build.py (or a build newer than every
source reused), the .deb unpacked into a scratch root, and its binary run with no Python on PATH and
a minimal environment: --version, --self-test, and a screenshot on the sandbox. Then, where the
machine allows it (root, mmdebstrap, a reachable Debian mirror; about 40 s a release here, 1 GB
while it runs), the .deb installed with apt into fresh Debian 12 and 13 systems, which must pull
what the bundle needs and start; STARROCKS_CONSOLE_CHROOT_TEST=0 leaves that part out.

The build takes about a minute on two cores; it runs once, whichever worker gets here first (a lock
file), and later runs reuse it while no source changed. The Debian systems do not depend on the
build: both are made in the background while it runs.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "packaging"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
DEB = PACK / "dist" / f"starrocks-console_{VERSION}_amd64.deb"
PACK_VENV = PACK / ".venv-pack"
RELEASES = ["bookworm", "trixie"]  # Debian 12 and 13

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the .deb is built on Linux only"),
]


def _sources() -> Iterator[Path]:
    """What the packages are made from: the code, the resources, the recipe."""
    yield ROOT / "pyproject.toml"
    yield from (PACK / name for name in ("build.py", "entry.py", "starrocks-console.spec"))
    yield from (ROOT / "gui").rglob("*.py")
    yield from (p for p in (ROOT / "resources").rglob("*") if p.is_file() and "screenshots" not in p.parts)


def _fresh() -> bool:
    if not DEB.exists():
        return False
    built = DEB.stat().st_mtime
    return all(p.stat().st_mtime < built for p in _sources())


@pytest.fixture(scope="session")
def deb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb is not installed")
    PACK.mkdir(exist_ok=True)
    with open(PACK / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _fresh():
            python = PACK_VENV / "bin" / "python"
            # Installed again when pyproject.toml changes: an editable install's metadata (the
            # dependencies the bundle's About lists, and what is collected) is written at install.
            marker = PACK_VENV / "installed-from.sha256"
            wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
            if not python.exists():
                subprocess.run([sys.executable, "-m", "venv", str(PACK_VENV)], check=True)
            if not marker.exists() or marker.read_text() != wanted:
                subprocess.run(
                    [
                        str(python),
                        "-m",
                        "pip",
                        "install",
                        "-q",
                        "--disable-pip-version-check",
                        "-e",
                        f"{ROOT}[pack]",
                    ],
                    check=True,
                )
                marker.write_text(wanted)
            run = subprocess.run(
                # The .deb only, the one these tests install (the tar.gz holds the same bundle), with
                # zstd at a fast level: the same package in 2 s of compression where xz takes 3 minutes.
                [str(python), str(PACK / "build.py"), "--compression", "fast", "--formats", "deb"],
                capture_output=True,
                text=True,
                timeout=900,
            )
            assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert DEB.stat().st_size < 120e6, f"{DEB} is {DEB.stat().st_size / 1e6:.1f} MB"
    return DEB


@pytest.fixture(scope="session")
def unpacked(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("deb-root")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


def _minimal_env(tmp: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """No Python anywhere on PATH (an empty folder), nothing of this test run's virtualenv."""
    empty = tmp / "empty-path"
    empty.mkdir(exist_ok=True)
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    env = {"PATH": str(empty), "HOME": str(home), "LANG": "C.UTF-8", "TMPDIR": str(tmp)}
    env.update(extra or {})
    return env


def _mounts_under(root: Path) -> list[str]:
    with open("/proc/self/mounts") as f:
        points = [line.split()[1] for line in f]
    return [p for p in points if p == str(root) or p.startswith(f"{root}/")]


def _remove_root(root: Path) -> None:
    """1 GB not left behind, and never removed through a mount still in place."""
    for point in sorted(_mounts_under(root), key=len, reverse=True):
        subprocess.run(["umount", "--lazy", point], check=False)
    if not _mounts_under(root):
        shutil.rmtree(root, ignore_errors=True)


def _why_no_chroot() -> str | None:
    if os.environ.get("STARROCKS_CONSOLE_CHROOT_TEST") == "0":
        return "STARROCKS_CONSOLE_CHROOT_TEST=0 turns the chroot install off"
    if os.geteuid() != 0:
        return "installing into a chroot needs root"
    if shutil.which("mmdebstrap") is None:
        return "mmdebstrap is not installed (packaging/bootstrap.sh test installs it when run as root)"
    return None


class DebianSystems:
    """Fresh minimal Debian systems (mmdebstrap's minbase, merged /usr as debootstrap makes it: the
    same packages as ``debootstrap --variant=minbase``), all started at once in the background, so
    that they are made while the .deb is built and each other's downloads overlap."""

    TIMEOUT = 600

    def __init__(self, where: Path) -> None:
        self.where = where
        self.reason = _why_no_chroot()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.started = time.monotonic()
        if self.reason is not None:
            return
        mirror = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
        for release in RELEASES:
            with open(self.where / f"{release}.log", "wb") as log:
                self.procs[release] = subprocess.Popen(
                    [
                        "mmdebstrap",
                        "--mode=root",
                        "--variant=minbase",
                        "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
                        # Kept for the apt-get install that follows: no second download of them.
                        "--skip=cleanup/apt/lists",
                        release,
                        str(self.where / release),
                        mirror,
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # stopped as a group (apt, dpkg) if the run ends first
                )

    def take(self, release: str) -> Path:
        """The root of a finished system of `release`; skips where none can be made here."""
        if self.reason is not None:
            pytest.skip(self.reason)
        proc = self.procs[release]
        try:
            rc = proc.wait(max(1.0, self.started + self.TIMEOUT - time.monotonic()))
        except subprocess.TimeoutExpired:
            self._stop(release)
            pytest.skip(f"mmdebstrap {release} did not finish in {self.TIMEOUT // 60} minutes")
        if rc != 0:
            log = (self.where / f"{release}.log").read_text(errors="replace")
            self._stop(release)
            pytest.skip(f"mmdebstrap could not make a {release} system here: {log[-800:]}")
        return self.where / release

    def _stop(self, release: str) -> None:
        proc = self.procs[release]
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(30)
        _remove_root(self.where / release)

    def close(self) -> None:
        for release in self.procs:
            self._stop(release)


@pytest.fixture(scope="session")
def debian_systems(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DebianSystems]:
    systems = DebianSystems(tmp_path_factory.mktemp("debian"))
    yield systems
    systems.close()


# First in this file: its fixtures start the Debian systems before the build that they wait for.
@pytest.mark.parametrize("release", RELEASES)
def test_deb_installs_into_a_fresh_debian_chroot(
    debian_systems: DebianSystems, deb: Path, release: str
) -> None:
    root = debian_systems.take(release)
    # The bundle finds itself through /proc/self/exe, as on any running system.
    proc = root / "proc"
    subprocess.run(["mount", "-t", "proc", "proc", str(proc)], check=True)
    try:
        _install_and_run(deb, root)
    finally:
        subprocess.run(["umount", str(proc)], check=False)
        _remove_root(root)


def _install_and_run(deb: Path, root: Path) -> None:
    shutil.copy2(deb, root / "tmp" / deb.name)
    chroot_env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "DEBIAN_FRONTEND": "noninteractive",
        "HOME": "/root",
    }
    # The package lists are the ones mmdebstrap fetched a minute ago from the same mirror.
    install = ["apt-get", "-q", "-y", "--no-install-recommends", "install", f"/tmp/{deb.name}"]
    run = subprocess.run(
        ["chroot", str(root), *install],
        capture_output=True,
        text=True,
        env=chroot_env,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    version = subprocess.run(
        ["chroot", str(root), "starrocks-console", "--version"],
        capture_output=True,
        text=True,
        env=chroot_env,
    )
    assert version.stdout.strip() == f"starrocks-console {VERSION}", version.stderr
    shot = subprocess.run(
        [
            "chroot",
            str(root),
            "starrocks-console",
            "screenshot",
            "--sandbox",
            "--view",
            "instances",
            "--out",
            "/tmp/instances.png",
        ],
        capture_output=True,
        text=True,
        env=chroot_env,
        timeout=300,
    )
    assert shot.returncode == 0, shot.stdout + shot.stderr
    assert (root / "tmp/instances.png").stat().st_size > 20_000


def test_deb_lays_out_opt_launcher_and_desktop_files(deb: Path, unpacked: Path) -> None:
    fields = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True, check=True).stdout
    assert f"Version: {VERSION}" in fields
    for lib in ("libgl1", "libegl1", "libxkbcommon-x11-0", "libxcb-cursor0", "fontconfig"):
        assert lib in fields.split("Depends:")[1].splitlines()[0], lib
    assert (unpacked / "opt/starrocks-console/starrocks-console").stat().st_mode & 0o111
    assert (unpacked / "usr/bin/starrocks-console").read_text().startswith("#!/bin/sh")
    assert (unpacked / "usr/share/applications/io.github.starrocks_console.desktop").is_file()
    assert (unpacked / "usr/share/metainfo/io.github.starrocks_console.metainfo.xml").is_file()
    assert (unpacked / "usr/share/icons/hicolor/256x256/apps/io.github.starrocks_console.png").is_file()
    internal = unpacked / "opt/starrocks-console/_internal"
    platforms = sorted(p.name for p in (internal / "PySide6/Qt/plugins/platforms").iterdir())
    assert platforms == ["libqoffscreen.so", "libqxcb.so"]
    assert not list(internal.glob("PyQt*")) and not (internal / "PySide6/QtNetwork.abi3.so").exists()


def test_frozen_binary_runs_without_python(
    unpacked: Path, tmp_path: Path, secret_service: dict[str, str]
) -> None:
    binary = unpacked / "opt/starrocks-console/starrocks-console"
    env = _minimal_env(tmp_path)
    assert shutil.which("python3", path=env["PATH"]) is None
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, env=env, timeout=60)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"starrocks-console {VERSION}"

    keyring_env = {k: secret_service[k] for k in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR")}
    selftest = subprocess.run(
        [str(binary), "--self-test"],
        capture_output=True,
        text=True,
        env=_minimal_env(tmp_path, keyring_env),
        timeout=240,
    )
    assert selftest.returncode == 0, selftest.stdout + selftest.stderr
    assert "(frozen)" in selftest.stdout.splitlines()[0]
    for check in ("qt", "keyring", "tls", "charts", "sandbox", "http", "query port", "render"):
        assert f"ok   {check}: " in selftest.stdout, (check, selftest.stdout)

    shot = tmp_path / "instances.png"
    run = subprocess.run(
        [str(binary), "screenshot", "--sandbox", "--view", "instances", "--out", str(shot)],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
