"""The icon set, the desktop entry and the AppStream metainfo, checked with the freedesktop tools
the distributions check them with; the window's icon comes from the same files."""

from __future__ import annotations

import shutil
import struct
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RES = ROOT / "resources"
APP_ID = "io.github.starrocks_console"


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_icon_set_has_every_size_rendered_from_the_svg() -> None:
    assert (RES / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        png = RES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert _png_size(png) == (size, size)


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_desktop_entry_passes_desktop_file_validate() -> None:
    entry = RES / "desktop" / f"{APP_ID}.desktop"
    run = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert run.returncode == 0 and not run.stdout.strip(), run.stdout + run.stderr
    text = entry.read_text()
    assert f"Icon={APP_ID}\n" in text and "Exec=starrocks-console\n" in text


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstream not installed")
def test_metainfo_passes_appstreamcli_validate_and_carries_the_version() -> None:
    meta = RES / "desktop" / f"{APP_ID}.metainfo.xml"
    run = subprocess.run(["appstreamcli", "validate", "--no-net", str(meta)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert f'<release version="{version}"' in meta.read_text()


def test_the_application_has_the_window_icon(qapp: object) -> None:
    from gui.app import _application

    app = _application("light")
    icon = app.windowIcon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} >= {16, 32, 48, 256}
    assert app.desktopFileName() == APP_ID
