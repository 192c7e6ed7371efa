"""packaging/build.py's choices that the frozen tests do not see: they build a fast-compressed .deb
only, so that a release built with no options still gets the small xz package and the tar.gz is
checked here, on a tiny stand-in bundle (a second, not a build)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("packaging_build", ROOT / "packaging" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _ar_members(path: Path) -> list[str]:
    """The member names of an ar archive (a .deb is one): the data's compression is in its name."""
    data = path.read_bytes()
    assert data[:8] == b"!<arch>\n"
    names, at = [], 8
    while at + 60 <= len(data):
        header = data[at : at + 60]
        names.append(header[:16].decode().strip().rstrip("/"))
        at += 60 + int(header[48:58])
        at += at % 2  # members are aligned on even offsets
    return names


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed")
@pytest.mark.parametrize(
    ("options", "data"), [([], "data.tar.xz"), (["--compression", "fast"], "data.tar.zst")]
)
def test_a_release_build_compresses_the_deb_with_xz(tmp_path: Path, options: list[str], data: str) -> None:
    build = _build_module()
    args = build.parse_args(options)
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "starrocks-console").write_text("#!/bin/sh\n")
    out = build.deb(bundle, "0.0.1", args.compression, build=tmp_path / "build", dist=tmp_path / "dist")
    assert _ar_members(out) == ["debian-binary", f"control.tar.{data.rsplit('.', 1)[1]}", data]


def test_a_release_build_makes_both_linux_packages() -> None:
    build = _build_module()
    assert build.parse_args([]).formats == ["deb", "tar.gz"]
    assert build.parse_args(["--formats", "deb"]).formats == ["deb"]
    with pytest.raises(SystemExit):
        build.parse_args(["--formats", "rpm"])
