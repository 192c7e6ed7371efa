"""Benchmark: ``starrocks-console load`` against curl, into the local sandbox.

- The fixed cost: the CPU seconds of a whole ``load`` of a three-row file next to those of
  ``python -c "import httpx"``, run in turn, with the median of the pairwise ratios.
- For each file size: the client's CPU seconds (user + system) next to curl sending the same file in
  one transaction (begin, one load, prepare, commit, each a curl process), the peak RSS of the
  ``load`` process and wall times; then the CPU per byte between the smallest and the largest size,
  the client's against curl's (the fixed costs cancel out).
- The import time of the ``load`` path, and whether it imported Qt or pydantic (it must not).

    .venv/bin/python tests/bench/bench_load.py [--sizes 100M,1G] [--runs 3] [--fixed-runs 11]

Figures are measured by the kernel (wait4 rusage) per child process; medians of the runs. The
package's bytecode is compiled first, as an install does, so that no run pays for compiling it.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import SandboxProcess  # noqa: E402


def size_of(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(text[:-1]) * units[text[-1].upper()]) if text[-1].upper() in units else int(text)


def make_csv(path: Path, size: int) -> int:
    """Rows like orders: id, customer, amount, timestamp; about ``size`` bytes. Returns rows."""
    rows = 0
    block: list[str] = []
    written = 0
    with path.open("w") as f:
        while written < size:
            day = 1 + rows % 28
            line = f"{rows},customer-{rows % 9973:04d},{rows % 100000 / 100:.2f},2024-03-{day:02d} 10:00:00\n"
            block.append(line)
            written += len(line)
            rows += 1
            if len(block) >= 10000:
                f.write("".join(block))
                block.clear()
        f.write("".join(block))
    return rows


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a command; its CPU and peak RSS as the kernel accounted them."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmd[0]} failed: {err or out}")
    return {
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
        "wall": wall,
        "out": out,
    }


def table(sp: SandboxProcess) -> str:
    db = "bench_" + uuid.uuid4().hex[:8]
    sp.admin_sql(f"CREATE DATABASE {db}")
    sp.admin_sql(
        "CREATE TABLE t (id bigint NOT NULL, customer varchar(64), amount decimal(12,2), "
        "created_at datetime) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 4",
        db=db,
    )
    return db


def console_load(sp: SandboxProcess, file: Path, db: str, data_dir: Path) -> dict[str, Any]:
    env = dict(os.environ, SR_PW=sp.auth[1], STARROCKS_CONSOLE_DATA=str(data_dir))
    cmd = [
        str(ROOT / ".venv" / "bin" / "starrocks-console"),
        "load",
        str(file),
        "--url",
        sp.url,
        "--user",
        sp.auth[0],
        "--password-env",
        "SR_PW",
        "--db",
        db,
        "--table",
        "t",
        "--column-separator",
        ",",
        "--timeout",
        "3600",
        "--label",
        "b_" + uuid.uuid4().hex[:12],
    ]
    r = run_measured(cmd, env)
    line = json.loads(r["out"])
    assert line["state"] == "VISIBLE", line
    return r


def curl_load(sp: SandboxProcess, file: Path, db: str) -> dict[str, Any]:
    label = "c_" + uuid.uuid4().hex[:12]
    base = [
        "curl",
        "-s",
        "--fail",
        "--location-trusted",
        "-u",
        f"{sp.auth[0]}:{sp.auth[1]}",
        "-H",
        f"label:{label}",
        "-H",
        f"db:{db}",
    ]
    steps = [
        [*base, "-H", "table:t", "-H", "timeout:3600", "-XPOST", f"{sp.url}/api/transaction/begin"],
        [
            *base,
            "-H",
            "table:t",
            "-H",
            "column_separator:,",
            "-H",
            "Expect:100-continue",
            "-T",
            str(file),
            "-XPUT",
            f"{sp.url}/api/transaction/load",
        ],
        [*base, "-XPOST", f"{sp.url}/api/transaction/prepare"],
        [*base, "-XPOST", f"{sp.url}/api/transaction/commit"],
    ]
    cpu = rss = wall = 0.0
    for cmd in steps:
        r = run_measured(cmd)
        status = json.loads(r["out"]).get("Status")
        assert status == "OK", r["out"]
        cpu += r["cpu"]
        rss = max(rss, r["rss_mb"])
        wall += r["wall"]
    return {"cpu": cpu, "rss_mb": rss, "wall": wall}


def import_time() -> dict[str, Any]:
    code = (
        "import time, sys; t = time.perf_counter(); import gui.cli, gui.loadcmd; "
        "print(time.perf_counter() - t, any(m.startswith('PySide6') for m in sys.modules), "
        "'pydantic' in sys.modules)"
    )
    samples, qt, pydantic = [], False, False
    for _ in range(5):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
        )
        seconds, qt_loaded, pydantic_loaded = out.stdout.split()
        samples.append(float(seconds))
        qt = qt or qt_loaded == "True"
        pydantic = pydantic or pydantic_loaded == "True"
    return {"seconds": statistics.median(samples), "qt_imported": qt, "pydantic_imported": pydantic}


def fixed_cost(sp: SandboxProcess, work: Path, runs: int) -> dict[str, float]:
    """A load of three rows and ``import httpx`` in turn: medians of each, and of the ratios."""
    file = work / "three-rows.csv"
    file.write_text("".join(f"{i},c-{i},{i}.00,2024-03-0{i} 10:00:00\n" for i in (1, 2, 3)))
    db = table(sp)
    console_load(sp, file, db, work / "console-data")  # warm-up, not counted
    ours, httpx_import, ratios = [], [], []
    for _ in range(runs):
        a = console_load(sp, file, db, work / "console-data")["cpu"]
        b = run_measured([sys.executable, "-c", "import httpx"])["cpu"]
        ours.append(a)
        httpx_import.append(b)
        ratios.append(a / b)
    return {
        "load": statistics.median(ours),
        "httpx": statistics.median(httpx_import),
        "ratio": statistics.median(ratios),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100M,1G")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--fixed-runs", type=int, default=11)
    args = ap.parse_args()
    if shutil.which("curl") is None:
        sys.exit("curl is needed for the comparison")
    compileall.compile_dir(ROOT / "gui", quiet=1)
    work = Path(tempfile.mkdtemp(prefix="sr-bench-"))
    sp = SandboxProcess(work / "sandbox")
    try:
        imp = import_time()
        print(
            f"import of the load path: {imp['seconds'] * 1000:.0f} ms (Qt imported: {imp['qt_imported']}, "
            f"pydantic imported: {imp['pydantic_imported']})"
        )
        fixed = fixed_cost(sp, work, args.fixed_runs)
        print(
            f"fixed cost: load of 3 rows {fixed['load']:.3f} s CPU, python -c 'import httpx' "
            f"{fixed['httpx']:.3f} s; ratio {fixed['ratio']:.2f} (median of {args.fixed_runs} pairs)",
            flush=True,
        )
        print(
            f"{'size':>6} {'rows':>10} | {'load cpu s':>10} {'curl cpu s':>10} {'ratio':>6} | "
            f"{'load RSS MB':>11} | {'load wall s':>11} {'curl wall s':>11}"
        )
        per_size: list[tuple[int, float, float]] = []
        for text in args.sizes.split(","):
            file = work / f"data-{text}.csv"
            rows = make_csv(file, size_of(text))
            ours, theirs = [], []
            for _ in range(args.runs):
                db = table(sp)
                ours.append(console_load(sp, file, db, work / "console-data"))
                db = table(sp)
                theirs.append(curl_load(sp, file, db))
            cpu_o = statistics.median(r["cpu"] for r in ours)
            cpu_c = statistics.median(r["cpu"] for r in theirs)
            per_size.append((file.stat().st_size, cpu_o, cpu_c))
            rss = max(r["rss_mb"] for r in ours)
            print(
                f"{text:>6} {rows:>10} | {cpu_o:>10.2f} {cpu_c:>10.2f} {cpu_o / cpu_c:>6.2f} | "
                f"{rss:>11.1f} | "
                f"{statistics.median(r['wall'] for r in ours):>11.1f} "
                f"{statistics.median(r['wall'] for r in theirs):>11.1f}",
                flush=True,
            )
            file.unlink()
            for db_row in sp.query("show databases"):
                name = db_row[0] if isinstance(db_row, list) else next(iter(db_row.values()))
                if str(name).startswith("bench_"):
                    sp.admin_sql(f"DROP DATABASE {name}")
        if len(per_size) > 1:
            (small, o1, c1), (large, o2, c2) = per_size[0], per_size[-1]
            gib = (large - small) / (1 << 30)
            print(
                f"CPU per GiB between the smallest and the largest file: load {(o2 - o1) / gib:.2f} s, "
                f"curl {(c2 - c1) / gib:.2f} s; ratio {(o2 - o1) / (c2 - c1):.2f}"
            )
    finally:
        sp.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
