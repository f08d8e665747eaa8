"""Cascade benchmark suite (issue 8). Builds its own data, runs each scenario, prints one table.

    .venv/bin/python -m bench.run [--scenario NAME ...] [--db sqlite|postgres ...] [--quick] [--json FILE]
                                  [--profile DIR]

SQLite runs on a fresh file in a temporary directory; PostgreSQL on the database `cascade_bench` at
127.0.0.1:5432 (created through database `test` when missing, schema dropped and recreated each scenario).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import platform
import subprocess
import sys
import time
import traceback
from dataclasses import asdict
from pathlib import Path

from bench.harness import Row

SCENARIOS = {  # name -> module; in the order they run
    "api": "bench.api_step",
    "history": "bench.history",
    "campha": "bench.campha",
    "timers": "bench.timers",
    "inbox": "bench.inbox",
    "province": "bench.province",
    "national": "bench.national",
    "throughput": "bench.throughput",
    "loop": "bench.loop",  # issue 18: the three loop shapes, 1,000 rounds, over a real server
    "mi": "bench.mi",  # issue 18: multi-instance, N = 10, 100, 500, parallel and sequential
    "http": "bench.http",  # issue 18: completion and start through gunicorn over a socket
    "tasklist": "bench.tasklist",  # issue 18: the paged task API at 100k open tasks
}
DEFAULT_DBS = ("sqlite", "postgres")


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def print_table(rows: list[Row], out=sys.stdout) -> None:
    head = ("scenario", "db", "metric", "n", "median", "p95", "unit", "target", "met")
    body = [
        (
            r.scenario,
            r.db,
            r.metric,
            "" if r.n is None else str(r.n),
            _fmt(r.value),
            _fmt(r.p95),
            r.unit,
            r.target,
            {True: "yes", False: "NO", None: ""}[r.met],
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    right = {3, 4, 5}

    def line(cells):
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(line(head), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for cells in body:
        print(line(cells), file=out)


def machine() -> dict:
    """What the figures were measured on."""
    import os
    import sqlite3

    import SpiffWorkflow
    import sqlalchemy

    def cmd(*args: str) -> str:
        try:
            return subprocess.run(args, capture_output=True, text=True, timeout=10).stdout.strip()  # noqa: S603
        except Exception:  # noqa: BLE001 - informative only
            return "?"

    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = f"{int(f.readline().split()[1]) // 1024} MiB"
    except OSError:
        pass
    root = Path(__file__).resolve().parent.parent
    return {
        "cpus": os.cpu_count(),
        "memory": mem,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": cmd("psql", "--version"),
        "spiffworkflow": getattr(SpiffWorkflow, "__version__", "3.2.0"),
        "sqlalchemy": sqlalchemy.__version__,
        "commit": cmd("git", "-C", str(root), "rev-parse", "--short", "HEAD"),
        "dirty": bool(cmd("git", "-C", str(root), "status", "--porcelain")),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", action="append", choices=list(SCENARIOS), help="run only these (repeatable)")
    parser.add_argument("--db", action="append", choices=DEFAULT_DBS, help="databases (repeatable; default both)")
    parser.add_argument("--quick", action="store_true", help="smaller sample counts and data sizes")
    parser.add_argument("--json", type=Path, help="also write the rows and the machine facts to this file")
    parser.add_argument("--profile", type=Path, help="write a pyinstrument (else cProfile) profile per scenario here")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)

    names = args.scenario or list(SCENARIOS)
    dbs = args.db or list(DEFAULT_DBS)
    facts = machine()
    print("machine: " + ", ".join(f"{k}={v}" for k, v in facts.items()), flush=True)
    rows: list[Row] = []
    durations: dict[str, float] = {}
    for name in names:
        module = importlib.import_module(SCENARIOS[name])
        for backend in dbs:
            if backend not in getattr(module, "DATABASES", DEFAULT_DBS):
                continue
            print(f"… {name} on {backend}", file=sys.stderr, flush=True)
            started = time.perf_counter()
            try:
                if args.profile:
                    got = _profiled(args.profile, f"{name}-{backend}", module.run, backend, args.quick)
                else:
                    got = module.run(backend, args.quick)
            except Exception as exc:  # noqa: BLE001 - report it and go on with the other scenarios
                traceback.print_exc()
                got = [Row(name, backend, f"FAILED: {type(exc).__name__}: {str(exc)[:80]}", float("nan"), "")]
            durations[f"{name}/{backend}"] = time.perf_counter() - started
            rows += got
            print_table(got, out=sys.stderr)
    for key, seconds in durations.items():
        name, backend = key.split("/")
        rows.append(Row("wall", backend, f"scenario {name} (build + measure)", seconds, "s"))
    print()
    print_table(rows)
    if args.json:
        args.json.write_text(
            json.dumps({"machine": facts, "quick": args.quick, "rows": [asdict(r) for r in rows]}, indent=1)
        )
    return 0


def _profiled(directory: Path, label: str, fn, *args):
    directory.mkdir(parents=True, exist_ok=True)
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        result = profile.runcall(fn, *args)
        with open(directory / f"{label}.txt", "w") as f:
            pstats.Stats(profile, stream=f).sort_stats("cumulative").print_stats(60)
        return result
    profiler = Profiler(interval=0.0005)
    profiler.start()
    try:
        result = fn(*args)
    finally:
        profiler.stop()
    (directory / f"{label}.txt").write_text(profiler.output_text(unicode=True, color=False, show_all=False))
    (directory / f"{label}.html").write_text(profiler.output_html())
    return result


if __name__ == "__main__":
    sys.exit(main())
