"""The sandbox's deflate reader inflates no more than it is asked for: a body that inflates to
hundreds of times its size is read a megabyte at a time, never held whole."""

from __future__ import annotations

import zlib
from pathlib import Path

from gui.sandbox.starrocks.loader import _InflateReader


def test_a_highly_compressed_body_is_read_a_step_at_a_time(tmp_path: Path) -> None:
    raw = b"1,aaaaaaaaaaaaaaaa\n" * ((64 << 20) // 19)
    body = tmp_path / "bomb.z"
    body.write_bytes(zlib.compress(raw, 9))
    assert len(raw) > 300 * body.stat().st_size
    reader = _InflateReader(body)
    out = bytearray()
    held = 0
    with reader:
        while block := reader.read(1 << 20):
            held = max(held, len(block) + len(reader._buf))
            out += block
    assert bytes(out) == raw
    assert held <= 1 << 20  # never more than asked for (before: the whole 64 MB at the first read)


def test_reading_all_and_a_damaged_stream(tmp_path: Path) -> None:
    body = tmp_path / "small.z"
    body.write_bytes(zlib.compress(b"1,a\n2,b\n"))
    with _InflateReader(body) as reader:
        assert reader.read() == b"1,a\n2,b\n"
        assert reader.read(10) == b""
    damaged = tmp_path / "damaged.z"
    damaged.write_bytes(b"\x78\x9c not deflate at all")
    from gui.sandbox.starrocks.loader import LoadFailure

    try:
        with _InflateReader(damaged) as reader:
            reader.read(100)
    except LoadFailure as e:
        assert "failed to decompress deflate data" in str(e)
    else:
        raise AssertionError("a damaged stream was read without a failure")
