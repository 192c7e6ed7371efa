"""The frozen application as it ships: built with packaging/build.py (or a build newer than every
source reused), the .deb unpacked into a scratch root, and its binary run with no Python on PATH and
a minimal environment: --version, --self-test, and a screenshot on the sandbox. Then, where the
machine allows it (root, debootstrap, a reachable Debian mirror; about a minute here, 1.5 GB while
it runs), the .deb installed with apt into fresh Debian 12 and 13 chroots, which must pull what the bundle
needs and start; STARROCKS_CONSOLE_CHROOT_TEST=0 leaves that part out.

The build takes a few minutes on two cores; it runs once, whichever worker gets here first (a lock
file), and later runs reuse it while no source changed.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "packaging"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
DEB = PACK / "dist" / f"starrocks-console_{VERSION}_amd64.deb"
TARBALL = PACK / "dist" / f"starrocks-console-{VERSION}-linux-x86_64.tar.gz"
PACK_VENV = PACK / ".venv-pack"

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
    if not (DEB.exists() and TARBALL.exists()):
        return False
    built = min(DEB.stat().st_mtime, TARBALL.stat().st_mtime)
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
            if not python.exists():
                subprocess.run([sys.executable, "-m", "venv", str(PACK_VENV)], check=True)
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
            run = subprocess.run(
                # zstd: the same package in 13 s of compression where xz takes 3 minutes (CI time).
                [str(python), str(PACK / "build.py"), "--compression", "zstd"],
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


@pytest.mark.parametrize("release", ["bookworm", "trixie"])  # Debian 12 and 13
def test_deb_installs_into_a_fresh_debian_chroot(deb: Path, tmp_path: Path, release: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("installing into a chroot needs root")
    if shutil.which("debootstrap") is None:
        pytest.skip("debootstrap is not installed")
    if os.environ.get("STARROCKS_CONSOLE_CHROOT_TEST") == "0":
        pytest.skip("STARROCKS_CONSOLE_CHROOT_TEST=0 turns the chroot install off")
    mirror = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
    root = tmp_path / release
    try:
        boot = subprocess.run(
            ["debootstrap", "--variant=minbase", release, str(root), mirror],
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"debootstrap from {mirror} did not finish in 10 minutes")
    if boot.returncode != 0:
        pytest.skip(f"debootstrap could not build a chroot here: {boot.stdout[-500:]}{boot.stderr[-500:]}")
    # The bundle finds itself through /proc/self/exe, as on any running system.
    proc = root / "proc"
    subprocess.run(["mount", "-t", "proc", "proc", str(proc)], check=True)
    try:
        _install_and_run(deb, root)
    finally:
        subprocess.run(["umount", str(proc)], check=False)
        # 1.5 GB not left behind, and never removed through a mount still in place.
        if not os.path.ismount(proc):
            shutil.rmtree(root, ignore_errors=True)


def _install_and_run(deb: Path, root: Path) -> None:
    shutil.copy2(deb, root / "tmp" / deb.name)
    chroot_env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "DEBIAN_FRONTEND": "noninteractive",
        "HOME": "/root",
    }
    for cmd in (
        ["apt-get", "-q", "update"],
        ["apt-get", "-q", "-y", "--no-install-recommends", "install", f"/tmp/{deb.name}"],
    ):
        run = subprocess.run(
            ["chroot", str(root), *cmd], capture_output=True, text=True, env=chroot_env, timeout=900
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
