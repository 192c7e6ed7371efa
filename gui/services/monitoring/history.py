"""A cluster's figures over time: fixed-size rings per series, in tiers of coarser steps (5 s for the
last hour, 1 min for the last day), kept in memory and in the data folder so a restart keeps the
last day.

Memory is bounded by the tiers, not by the time the console runs: a series costs 4 bytes a slot
(float32: a chart needs no more than 7 digits), 8,640 bytes for both tiers. A slot holds the mean of
the readings that fell into it. A gap (the cluster unreachable, a figure not given) stays a gap.

The file (``<data dir>/metrics/<hash of the profile name>.hist``, 0600) is a JSON header — the
profile, tiers, series names, the alerts — and the rings' bytes after it. A file that does not read
back exactly is set aside as ``<name>.damaged-<time>`` and the history starts empty.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
import sys
import threading
import time
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..paths import data_dir
from .files import set_aside, write_private

MAGIC = b"STARROCKS-CONSOLE-HISTORY\n"
_NAN = float("nan")


@dataclass(frozen=True)
class Tier:
    step: int  # seconds a slot stands for
    slots: int

    @property
    def span(self) -> int:
        return self.step * self.slots


TIERS: tuple[Tier, ...] = (Tier(5, 720), Tier(60, 1440))  # 1 hour at 5 s, 24 hours at 1 min


class _Ring:
    def __init__(self, tier: Tier) -> None:
        self.tier = tier
        self.slot_ids = array("q", [-1]) * tier.slots  # the slot number each position holds
        self.values: dict[str, array[float]] = {}
        self.current = -1
        self._acc: dict[str, tuple[float, int]] = {}

    def ensure(self, name: str) -> array[float]:
        arr = self.values.get(name)
        if arr is None:
            arr = self.values[name] = array("f", [_NAN]) * self.tier.slots
        return arr

    def add(self, t: float, figures: Mapping[str, float]) -> None:
        slot = int(t // self.tier.step)
        if slot < self.current:
            return  # older than what is already kept: a clock that went back
        pos = slot % self.tier.slots
        if slot != self.current:
            if self.slot_ids[pos] != slot:
                for arr in self.values.values():
                    arr[pos] = _NAN
                self.slot_ids[pos] = slot
            self.current = slot
            # A slot written before a restart goes on averaging from its value.
            self._acc = {k: (arr[pos], 1) for k, arr in self.values.items() if not math.isnan(arr[pos])}
        for name, value in figures.items():
            if not math.isfinite(value):
                continue
            total, count = self._acc.get(name, (0.0, 0))
            total, count = total + value, count + 1
            self._acc[name] = (total, count)
            self.ensure(name)[pos] = total / count

    def points(self, name: str, since: float, until: float) -> tuple[list[float], list[float]]:
        arr = self.values.get(name)
        times: list[float] = []
        values: list[float] = []
        if arr is None or self.current < 0:
            return times, values
        step, slots = self.tier.step, self.tier.slots
        oldest = self.current - slots + 1
        # Slots that start after ``since``, up to ``until``: the last N seconds are N / step slots.
        first = oldest if since == -math.inf else max(int(since // step) + 1, oldest)
        last = self.current if until == math.inf else min(int(until // step), self.current)
        if last < first:
            return times, values
        # The slots wanted sit at consecutive positions, wrapping once at most: read as two slices
        # rather than slot by slot (a chart redraw reads 180 slots of each of its lines).
        start, end = first % slots, first % slots + (last - first + 1)
        ids = self.slot_ids[start:end] + self.slot_ids[: max(0, end - slots)]
        vals = arr[start:end] + arr[: max(0, end - slots)]
        for slot, held, v in zip(range(first, last + 1), ids, vals, strict=True):
            if held == slot and v == v:  # v != v: NaN, a gap
                times.append(float(slot * step))
                values.append(v)
        return times, values

    def empty(self, name: str) -> bool:
        arr = self.values.get(name)
        return arr is None or all(math.isnan(v) for v in arr)


class History:
    """The series of one cluster. Safe to read from another thread while readings are added (the
    charts are painted on a thread of their own)."""

    def __init__(self, tiers: tuple[Tier, ...] = TIERS) -> None:
        self.tiers = tiers
        self._rings = [_Ring(t) for t in tiers]
        self.updated_at: float | None = None
        self._lock = threading.RLock()

    def add(self, t: float, figures: Mapping[str, float]) -> None:
        with self._lock:
            self._add(t, figures)

    def _add(self, t: float, figures: Mapping[str, float]) -> None:
        if figures:
            for name in figures:
                for ring in self._rings:
                    ring.ensure(name)
            for ring in self._rings:
                ring.add(t, figures)
        self.updated_at = t if self.updated_at is None else max(self.updated_at, t)

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._rings[0].values) if self._rings else []

    def series(
        self, name: str, seconds: float, until: float | None = None
    ) -> tuple[list[float], list[float]]:
        """(times, values) of a series over the last ``seconds``, from the finest tier that spans
        them (5 s up to an hour, then 1 min). Times are the slots' starts, epoch seconds."""
        until = time.time() if until is None else until
        ring = next((r for r in self._rings if r.tier.span >= seconds), self._rings[-1])
        with self._lock:
            return ring.points(name, until - seconds, until)

    def latest(self, name: str) -> tuple[float, float] | None:
        with self._lock:
            times, values = self._rings[0].points(name, -math.inf, math.inf)
        return (times[-1], values[-1]) if times else None

    def prune(self) -> list[str]:
        """Forget series with no value left in any tier (a node gone for a day); returns them."""
        with self._lock:
            gone = [k for k in self.names() if all(r.empty(k) for r in self._rings)]
            for ring in self._rings:
                for k in gone:
                    ring.values.pop(k, None)
                    ring._acc.pop(k, None)
            return gone

    def nbytes(self) -> int:
        """Bytes the rings hold (the arrays' buffers)."""
        total = 0
        for ring in self._rings:
            total += ring.slot_ids.buffer_info()[1] * ring.slot_ids.itemsize
            total += sum(a.buffer_info()[1] * a.itemsize for a in ring.values.values())
        return total

    # -- the file ----------------------------------------------------------------------------------
    def to_bytes(self, header: Mapping[str, Any]) -> bytes:
        with self._lock:
            return self._to_bytes(header)

    def _to_bytes(self, header: Mapping[str, Any]) -> bytes:
        names = self.names()
        doc = {
            **header,
            "version": 1,
            "byteorder": sys.byteorder,
            "saved_at": time.time(),
            "updated_at": self.updated_at,
            "tiers": [[r.tier.step, r.tier.slots, r.current] for r in self._rings],
            "series": names,
        }
        head = json.dumps(doc, separators=(",", ":")).encode("utf-8")
        parts = [MAGIC, struct.pack(">I", len(head)), head]
        for ring in self._rings:
            parts.append(ring.slot_ids.tobytes())
            parts.extend(ring.values[k].tobytes() for k in names)
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes, tiers: tuple[Tier, ...] = TIERS) -> tuple[History, dict[str, Any]]:
        """ValueError (what is wrong) for anything but a whole file of these tiers."""
        if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 4:
            raise ValueError("not a history file")
        at = len(MAGIC)
        (size,) = struct.unpack(">I", data[at : at + 4])
        at += 4
        try:
            doc = json.loads(data[at : at + size].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"its header is not JSON ({e})") from None
        at += size
        if not isinstance(doc, dict) or doc.get("version") != 1:
            raise ValueError("its header is not one this console writes")
        names = doc.get("series")
        kept = doc.get("tiers")
        if not isinstance(names, list) or not all(isinstance(k, str) for k in names):
            raise ValueError("its series names are missing")
        if not isinstance(kept, list) or [k[:2] if isinstance(k, list) else k for k in kept] != [
            [t.step, t.slots] for t in tiers
        ]:
            raise ValueError("it was written with other tiers")
        swap = doc.get("byteorder") != sys.byteorder
        history = cls(tiers)
        for ring, (_step, _slots, current) in zip(history._rings, kept, strict=True):
            if not isinstance(current, int):
                raise ValueError("its tiers are damaged")
            ring.current = current
            ids = array("q")
            end = at + ring.tier.slots * ids.itemsize
            ids.frombytes(data[at:end])
            at = end
            for name in names:
                arr = array("f")
                end = at + ring.tier.slots * arr.itemsize
                arr.frombytes(data[at:end])
                at = end
                ring.values[name] = arr
            if swap:
                ids.byteswap()
                for arr in ring.values.values():
                    arr.byteswap()
            if len(ids) != ring.tier.slots or any(len(a) != ring.tier.slots for a in ring.values.values()):
                raise ValueError("it is cut short")
            ring.slot_ids = ids
        if at != len(data):
            raise ValueError("it has bytes after its last series")
        updated = doc.get("updated_at")
        history.updated_at = float(updated) if isinstance(updated, int | float) else None
        return history, doc


class HistoryStore:
    """History files in ``<data dir>/metrics``, one per cluster profile. Plain blocking I/O: callers
    run it off the event loop (``Monitoring`` does)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or data_dir() / "metrics"
        self.problems: list[str] = []
        self.set_aside: list[Path] = []

    def path(self, profile: str) -> Path:
        return self.root / (hashlib.sha256(profile.encode("utf-8")).hexdigest()[:32] + ".hist")

    def load(self, profile: str, tiers: tuple[Tier, ...] = TIERS) -> tuple[History, dict[str, Any]]:
        """The kept history of a profile, or an empty one (when there is none, or it is damaged:
        then it is set aside and ``problems`` says so)."""
        path = self.path(profile)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return History(tiers), {}
        except OSError as e:
            self.problems.append(
                f"the history of {profile!r} could not be read ({e.strerror}); it starts empty"
            )
            return History(tiers), {}
        try:
            history, header = History.from_bytes(data, tiers)
            if header.get("profile") not in (None, profile):
                raise ValueError(f"it belongs to the profile {header.get('profile')!r}")
        except ValueError as e:
            moved = set_aside(path, str(e))
            if moved is not None:
                self.set_aside.append(moved)
            where = f"; it was moved to {moved}" if moved else ""
            self.problems.append(
                f"the history of {profile!r} ({path}) is damaged: {e}{where}. It starts empty."
            )
            return History(tiers), {}
        return history, header

    def save(self, profile: str, data: bytes) -> None:
        write_private(self.path(profile), data)

    def rename(self, old: str, new: str) -> None:
        """A renamed profile's history, kept under its new name. The file names its profile (so that
        a file of another profile is never read as this one's): it is written again with the new
        name, not only moved. A history the new name already has is left as it is."""
        source, target = self.path(old), self.path(new)
        if not source.exists() or target.exists():
            return
        history, header = self.load(old)
        if header:  # read back whole (one that is not was set aside, and said so)
            write_private(target, history.to_bytes({**header, "profile": new}))
        source.unlink(missing_ok=True)

    def remove(self, profile: str) -> None:
        self.path(profile).unlink(missing_ok=True)
