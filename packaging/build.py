"""Build the frozen application and its packages: ``python packaging/build.py``.

Linux: a onedir PyInstaller bundle, then ``starrocks-console_<version>_amd64.deb`` (installs under
/opt/starrocks-console, launcher /usr/bin/starrocks-console, desktop entry, metainfo and icons under
/usr/share) and a portable ``starrocks-console-<version>-linux-x86_64.tar.gz``, in packaging/dist/.
Windows: the bundle and the Inno Setup installer (``windows/starrocks-console.iss``, needs ``iscc``).
macOS: the ``.app`` (``--windowed`` build) and a ``.dmg`` (hdiutil). Only the Linux path has run on
this project's machines; the other two are recipes for their CI runners (see README.md here).

Run it from a virtual environment that has the console and PyInstaller: ``pip install -e '.[pack]'``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
APP_ID = "io.github.starrocks_console"
NAME = "starrocks-console"
BUILD = HERE / "build"
DIST = HERE / "dist"

# What the bundle needs from the system and does not carry. PyInstaller leaves out the GL
# libraries on purpose (they belong to the system's graphics driver): without them Qt stops with
# "ImportError: libGL.so.1". Fonts: fontconfig needs its configuration and at least one font, or
# the window shows boxes. Every name resolves on Debian 12 and Debian 13 (apt-cache policy against
# both archives); none is a library renamed by the 64-bit time_t transition, so Ubuntu 24.04 has the
# same names (its archive was not reachable to check). The xcb libraries are carried in the
# bundle, but named too: they are what the xcb plugin needs, and the bundle's copies are the build
# machine's.
DEPENDS = [
    "libgl1",
    "libegl1",
    "libfontconfig1",
    "fontconfig",
    "fonts-dejavu-core | fonts-liberation2 | fonts-noto-core",
    "libxkbcommon-x11-0",
    "libxcb-cursor0",
    "libdbus-1-3",
    "ca-certificates",
]
RECOMMENDS = ["gnome-keyring | kwalletmanager"]


def version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def run(cmd: list[str], **kw: object) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)  # type: ignore[call-overload]


def _cpu() -> float:
    """CPU seconds of this process and of the children it has waited for (PyInstaller's hooks,
    strip, ldd, dpkg-deb and its compressor)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


@contextlib.contextmanager
def phase(name: str) -> Iterator[None]:
    """Prints the wall and CPU time of one step, so that a slow build says where its time went."""
    wall, cpu = time.monotonic(), _cpu()
    yield
    print(f"{name}: {time.monotonic() - wall:.1f} s (CPU {_cpu() - cpu:.1f} s)", flush=True)


def freeze() -> Path:
    """The onedir bundle, built with the spec beside this file."""
    run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--workpath",
            str(BUILD / "work"),
            "--distpath",
            str(BUILD / "dist"),
            str(HERE / f"{NAME}.spec"),
        ],
        cwd=HERE,
    )
    return BUILD / "dist" / NAME


def strip_debug(bundle: Path) -> int:
    """Debug symbols out of the bundle's shared libraries (a quarter of its size): not the libraries
    auditwheel grafted into wheels (``*.libs/``: strip breaks their patched layout, so that they
    fail to load), not the program itself (its archive is appended to it)."""
    if shutil.which("strip") is None:
        print("strip not found: the bundle keeps its debug symbols", file=sys.stderr)
        return 0
    saved = 0
    for path in (bundle / "_internal").rglob("*.so*"):
        if path.is_symlink() or not path.is_file() or any(p.endswith(".libs") for p in path.parts):
            continue
        with path.open("rb") as f:
            if f.read(4) != b"\x7fELF":
                continue
        before = path.stat().st_size
        subprocess.run(["strip", "--strip-debug", str(path)], check=True)
        saved += before - path.stat().st_size
    return saved


def unresolved(bundle: Path) -> dict[str, list[str]]:
    """Libraries that a binary in the bundle links and that neither the bundle nor this system has
    (ldd's "not found"), by library: what a package's Depends would have to bring."""
    internal = bundle / "_internal"
    dirs = sorted({str(p.parent) for p in internal.rglob("*.so*")} | {str(internal)})
    env = dict(os.environ, LD_LIBRARY_PATH=":".join(dirs))
    missing: dict[str, list[str]] = {}
    for path in [bundle / NAME, *internal.rglob("*.so*")]:
        if not path.is_file() or path.is_symlink():
            continue
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env).stdout
        for line in out.splitlines():
            if "not found" in line:
                missing.setdefault(line.split()[0], []).append(str(path.relative_to(bundle)))
    return missing


def _copy_share(share: Path) -> None:
    apps = share / "applications"
    apps.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "resources" / "desktop" / f"{APP_ID}.desktop", apps)
    meta = share / "metainfo"
    meta.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "resources" / "desktop" / f"{APP_ID}.metainfo.xml", meta)
    shutil.copytree(ROOT / "resources" / "icons" / "hicolor", share / "icons" / "hicolor", dirs_exist_ok=True)


# dpkg-deb's compressor and level for each --compression. "fast" is what the tests build: dpkg
# reads it the same way and its Depends are the same, in 2 s of compression instead of xz's 3
# minutes (108 MB against 82 MB: a release keeps xz).
COMPRESSIONS = {"xz": ("xz", 6), "zstd": ("zstd", 9), "gzip": ("gzip", 9), "fast": ("zstd", 3)}
DEFAULT_COMPRESSION = "xz"
FORMATS = ("deb", "tar.gz")


def deb(bundle: Path, ver: str, compression: str, build: Path = BUILD, dist: Path = DIST) -> Path:
    stage = build / "deb"
    shutil.rmtree(stage, ignore_errors=True)
    opt = stage / "opt" / NAME
    shutil.copytree(bundle, opt, symlinks=True)
    launcher = stage / "usr" / "bin" / NAME
    launcher.parent.mkdir(parents=True)
    launcher.write_text(f'#!/bin/sh\nexec /opt/{NAME}/{NAME} "$@"\n')
    launcher.chmod(0o755)
    _copy_share(stage / "usr" / "share")
    size_kb = sum(p.stat().st_size for p in stage.rglob("*") if p.is_file() and not p.is_symlink()) // 1024
    control = stage / "DEBIAN" / "control"
    control.parent.mkdir()
    control.write_text(
        f"Package: {NAME}\n"
        f"Version: {ver}\n"
        "Architecture: amd64\n"
        "Maintainer: StarRocks Console developers <starrocks-console@users.noreply.github.com>\n"
        f"Installed-Size: {size_kb}\n"
        f"Depends: {', '.join(DEPENDS)}\n"
        f"Recommends: {', '.join(RECOMMENDS)}\n"
        "Section: database\n"
        "Priority: optional\n"
        "Description: desktop admin console for StarRocks\n"
        " Administer StarRocks clusters, Huawei Cloud TaurusDB instances and AI Lake\n"
        " pipe tables; Stream Load transactions loaded exactly once; live dashboards;\n"
        " a SQL console; a built-in local sandbox. Secrets stay in the system keyring.\n"
    )
    dist.mkdir(parents=True, exist_ok=True)
    out = dist / f"{NAME}_{ver}_amd64.deb"
    compressor, level = COMPRESSIONS[compression]
    run(["dpkg-deb", "--root-owner-group", f"-Z{compressor}", f"-z{level}", "--build", str(stage), str(out)])
    return out


def portable(bundle: Path, ver: str) -> Path:
    top = f"{NAME}-{ver}"
    DIST.mkdir(exist_ok=True)
    out = DIST / f"{NAME}-{ver}-linux-x86_64.tar.gz"
    share = BUILD / "tar-share"
    shutil.rmtree(share, ignore_errors=True)
    _copy_share(share)

    def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=top, filter=owned_by_root)
        tar.add(share, arcname=f"{top}/share", filter=owned_by_root)
    return out


def mac(bundle_dir: Path, ver: str) -> Path:
    """The .app PyInstaller made (``BUNDLE`` in the spec on macOS) into a .dmg. Not run here."""
    app = BUILD / "dist" / "StarRocks Console.app"
    DIST.mkdir(exist_ok=True)
    out = DIST / f"{NAME}-{ver}-macos-{platform.machine()}.dmg"
    run(
        [
            "hdiutil",
            "create",
            "-volname",
            "StarRocks Console",
            "-srcfolder",
            str(app),
            "-ov",
            "-format",
            "UDZO",
            str(out),
        ]
    )
    return out


def windows(ver: str) -> Path:
    """The Inno Setup installer of the onedir bundle. Not run here."""
    iscc = shutil.which("iscc") or r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe"
    run(
        [
            iscc,
            f"/DAppVersion={ver}",
            f"/DBundle={BUILD / 'dist' / NAME}",
            f"/O{DIST}",
            str(HERE / "windows" / f"{NAME}.iss"),
        ]
    )
    return DIST / f"{NAME}-{ver}-windows-x64-setup.exe"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--skip-freeze", action="store_true", help="package the bundle already in packaging/build")
    p.add_argument(
        "--compression",
        default=DEFAULT_COMPRESSION,
        choices=list(COMPRESSIONS),
        help="the .deb's compression: xz (default, level 6) is the smallest (82 MB) but takes about 3 "
        "minutes on two cores; zstd (level 9) 13 s for 98 MB; fast (zstd level 3, what the tests "
        "build) 2 s for 108 MB; dpkg reads all of them on Debian 12+ and Ubuntu 24.04",
    )
    p.add_argument(
        "--formats",
        default=",".join(FORMATS),
        help="on Linux, which packages to make, comma-separated: deb, tar.gz (default: both)",
    )
    args = p.parse_args(argv)
    args.formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = sorted(set(args.formats) - set(FORMATS))
    if unknown or not args.formats:
        p.error(f"--formats takes {' and '.join(FORMATS)}; not {', '.join(unknown) or 'nothing'}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ver = version()
    started = time.monotonic()
    if args.skip_freeze:
        bundle = BUILD / "dist" / NAME
    else:
        with phase("freeze (PyInstaller)"):
            bundle = freeze()
        if sys.platform.startswith("linux"):
            with phase("strip --strip-debug"):
                print(f"strip --strip-debug: {strip_debug(bundle) / 1e6:.1f} MB less")
    frozen_s = time.monotonic() - started
    print(f"bundle: {bundle} ({frozen_s:.1f} s)")
    outputs: list[Path] = []
    if sys.platform.startswith("linux"):
        with phase("ldd of every library"):
            missing = unresolved(bundle)
        if missing:
            for lib, users in sorted(missing.items()):
                print(f"not found on this system: {lib} (linked by {users[0]})", file=sys.stderr)
            return 1
        if "deb" in args.formats:
            with phase(f".deb ({args.compression})"):
                outputs.append(deb(bundle, ver, args.compression))
        if "tar.gz" in args.formats:
            with phase("tar.gz"):
                outputs.append(portable(bundle, ver))
    elif sys.platform == "darwin":
        outputs.append(mac(bundle, ver))
    elif sys.platform == "win32":
        outputs.append(windows(ver))
    total = time.monotonic() - started
    for out in outputs:
        print(f"{out}: {out.stat().st_size / 1e6:.1f} MB")
    print(f"built in {total:.1f} s (freeze {frozen_s:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
