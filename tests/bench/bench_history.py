"""Benchmark of the monitoring's history: the memory of 24 hours of figures for 20 clusters (goal:
under 50 MB), the size of their files, and what a reading and a save cost.

    .venv/bin/python tests/bench/bench_history.py [--clusters 20] [--fes 3] [--bes 10]

Each cluster has the series the collector writes for a cluster of that many FEs and BEs (the cluster
figures, four per BE, two per FE). A day is filled with a reading a minute for 23 hours and one every
5 s for the last hour: the rings are then as full as after a day of readings every 5 s (the 5 s tier
keeps only the last hour), at a twelfth of the time — one cluster is also filled the long way and
its rings compared. Memory is what tracemalloc counts as still allocated once the histories are
built (the objects themselves, not the interpreter), and the process's resident set before and
after, from the kernel. The cost of a reading is timed without tracemalloc.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gui.services.monitoring import History, HistoryStore  # noqa: E402

CLUSTER = [
    "qps", "query_err_per_s", "query_err_pct", "query_p50_ms", "query_p95_ms", "query_p99_ms",
    "load_rows_per_s", "load_bytes_per_s", "txn_begun_per_min", "txn_committed_per_min",
    "txn_aborted_per_min", "be_alive", "be_total", "fe_alive", "fe_total", "compaction_score",
]  # fmt: skip


def series_of(fes: int, bes: int) -> list[str]:
    names = list(CLUSTER)
    for b in range(bes):
        names += [f"be:{10001 + b}:{k}" for k in ("cpu_pct", "mem_pct", "disk_pct", "compaction_score")]
    for f in range(fes):
        names += [f"fe:10.0.0.{f + 1}_9010_1764579600000:{k}" for k in ("heap_pct", "journal_lag")]
    return names


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


def fill(h: History, names: list[str], t0: float, seed: int, full: bool = False) -> int:
    """A day of readings; returns how many."""
    times = (
        [t0 + 5 * k for k in range(24 * 720)]
        if full
        else [t0 + 60 * k for k in range(23 * 60)] + [t0 + 23 * 3600 + 5 * k for k in range(720)]
    )
    for k, t in enumerate(times):
        h.add(t, {name: float((k + i + seed) % 97) for i, name in enumerate(names)})
    return len(times)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--clusters", type=int, default=20)
    p.add_argument("--fes", type=int, default=3)
    p.add_argument("--bes", type=int, default=10)
    args = p.parse_args()
    names = series_of(args.fes, args.bes)
    t0 = 1_796_000_000.0

    long_way = History()
    started = time.perf_counter()
    readings = fill(long_way, names, t0, 0, full=True)
    per_reading = (time.perf_counter() - started) / readings

    gc.collect()
    rss_before = rss_mb()
    tracemalloc.start()
    histories: list[History] = []
    for c in range(args.clusters):
        h = History()
        fill(h, names, t0, c)
        histories.append(h)
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = rss_mb()
    rings = sum(h.nbytes() for h in histories)
    assert long_way.nbytes() == histories[0].nbytes()
    assert abs(len(long_way.to_bytes({})) - len(histories[0].to_bytes({}))) < 16

    with tempfile.TemporaryDirectory() as tmp:
        store = HistoryStore(Path(tmp))
        started = time.perf_counter()
        blobs = [h.to_bytes({"profile": f"c{i}"}) for i, h in enumerate(histories)]
        to_bytes = time.perf_counter() - started
        started = time.perf_counter()
        for i, blob in enumerate(blobs):
            store.save(f"c{i}", blob)
        save = time.perf_counter() - started
        size = sum(store.path(f"c{i}").stat().st_size for i in range(args.clusters))
        started = time.perf_counter()
        for i in range(args.clusters):
            back, _ = store.load(f"c{i}")
            assert back.names() == histories[i].names()
        load = time.perf_counter() - started

    mb = 1e6
    print(f"{args.clusters} clusters x {len(names)} series ({args.fes} FEs, {args.bes} BEs), 24 h")
    print(f"  memory still allocated (tracemalloc): {current / mb:.1f} MB (peak {peak / mb:.1f} MB)")
    print(f"  of which the rings' arrays:           {rings / mb:.1f} MB")
    print(f"  resident set, before / after:         {rss_before:.1f} / {rss_after:.1f} MB")
    each = size / args.clusters / mb
    print(f"  files in the data folder:             {size / mb:.1f} MB ({each:.2f} MB each)")
    print(f"  one reading added, per cluster:       {per_reading * 1e6:.0f} us")
    print(f"  save of all: bytes taken on the loop {to_bytes * 1e3:.0f} ms, written {save * 1e3:.0f} ms")
    print(f"  load of all at start:                 {load * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
