"""How long one trial takes to log many values: the cost of ``log`` as a series grows.

One trial logs ``n`` values of its primary metric in a tight loop (nothing else),
with the sweep stored in a SQLite file, on the sequential backend (the trial
calls the engine directly) and on loky (the trial is in a worker process and
its values travel over the loopback channel). The time is the whole
``run_sweep`` call, and every value is counted back from the SQLite file.
If ``log`` costs the same whatever the series' length, the time grows linearly
with ``n``; before this benchmark existed, each value copied the whole series
and rewrote the trial's row, so 100,000 values took 31-79 s.

Usage::

    python benchmarks/logging_throughput.py [--sizes 10000 20000 40000 100000] [--backends sequential loky]

Prints a Markdown table and writes it to ``benchmarks/results/logging_throughput.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import hyperwidget as hw

RESULTS = Path(__file__).parent / "results" / "logging_throughput.md"


def log_many(x: float, n: int) -> None:
    """The objective: ``n`` values of ``acc``, nothing else."""
    for i in range(n):
        hw.log("acc", x + i)


def one_sweep(backend: str, n: int) -> tuple[float, int]:
    """Seconds to run a one-trial sweep logging ``n`` values, and the values found in its file."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "log.db")
        start = time.perf_counter()
        run = hw.run_sweep(
            log_many,
            {"x": hw.choice(0.0), "n": n},
            metric="acc",
            max_total_runs=1,
            max_concurrent_runs=1,
            backend=backend,
            storage=path,
            name="log",
            monitor=False,
        )
        seconds = time.perf_counter() - start
        assert run.status == "Completed", run.status
        with sqlite3.connect(path) as db:
            (stored,) = db.execute("SELECT COUNT(*) FROM metrics WHERE sweep = 'log'").fetchone()
    return seconds, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 40_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=["sequential", "loky"])
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the Markdown table")
    args = parser.parse_args()
    lines = ["| backend | values | seconds | µs per value | stored |", "|---|---:|---:|---:|---:|"]
    for backend in args.backends:
        for n in args.sizes:
            seconds, stored = one_sweep(backend, n)
            lines.append(f"| {backend} | {n:,} | {seconds:.2f} | {1e6 * seconds / n:.1f} | {stored:,} |")
            print(lines[-1], flush=True)
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = (
        f"# Logging throughput\n\n`python benchmarks/logging_throughput.py` ({when}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}).\n\n"
        "One trial logs n values of its primary metric in a loop; the sweep is stored in a SQLite file. "
        "Seconds are the whole `run_sweep` call; `stored` counts the values read back from the file.\n\n"
    )
    args.out.write_text(header + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
