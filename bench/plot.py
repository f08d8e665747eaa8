"""Plots of how cost grows, from the JSON files `bench.run --json` writes (matplotlib, the `bench` extra).

    .venv/bin/python -m bench.plot OUT.png RUN.json [RUN.json ...]

Left: one completion of a long-lived instance against the steps it has behind it (`history`). Right: the cost
per school of a fan-out against the number of schools (`campha`/`province` at 60 and 650 schools, `national`
at 45,045: the delivery workers' time per message). Values come from the rows as printed, nothing else.

When the runs hold `loop` or `mi` rows (issue 18), a second figure is written beside OUT (`OUT-loops-mi.png`):
one completion over a real server against the rounds a loop has behind it (each window the `loop` rows print,
at its middle round), and one multi-instance completion against N (`mi`, medians)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

WINDOW = re.compile(r"^(?P<shape>[^:]+): rounds (?P<first>[\d,]+)–(?P<last>[\d,]+)(?: \(POST complete\))?$")
MI_ONE = re.compile(r"^(?P<how>in process|HTTP) (?P<kind>\w+) N=(?P<n>\d+): complete one")
STEPS = re.compile(r"^step after ([\d,]+) steps \(complete_task\)$")
TREE = re.compile(r"^tree: (\d+) provinces × (\d+) districts × (\d+) schools")
COLOURS = {"sqlite": "#1f77b4", "postgres": "#d62728"}


def _rows(paths: list[Path]) -> tuple[list[dict], dict]:
    rows, machine, commits = [], {}, []
    for path in paths:
        data = json.loads(path.read_text())
        rows += data["rows"]
        machine = machine or data.get("machine", {})
        commit = data.get("machine", {}).get("commit")
        if commit and commit not in commits:
            commits.append(commit)
    return rows, dict(machine, commits=", ".join(commits) or "?")


def history_points(rows: list[dict]) -> dict[str, list[tuple[int, float]]]:
    out: dict[str, list[tuple[int, float]]] = {}
    for r in rows:
        m = STEPS.match(r["metric"].strip())
        if r["scenario"] == "history" and m:
            out.setdefault(r["db"], []).append((int(m.group(1).replace(",", "")), r["value"]))
    return {db: sorted(points) for db, points in out.items()}


def school_points(rows: list[dict]) -> dict[str, list[tuple[int, float]]]:
    out: dict[str, list[tuple[int, float]]] = {}
    schools, workers = 0, 1
    for r in rows:  # in the order printed: a national round's tree and drain rows come before its per-message row
        metric, db = r["metric"].strip(), r["db"]
        if r["scenario"] == "province" and metric == "per started instance":
            out.setdefault(db, []).append((60, r["value"]))  # Cẩm Phả's 60 starts, measured in the same database
        elif r["scenario"] == "province" and metric == "per school (total / schools)":
            out.setdefault(db, []).append((650, r["value"]))
        elif r["scenario"] == "national" and metric.startswith("tree:"):
            provinces, districts, per_district = map(int, TREE.match(metric).groups())
            schools = provinces * districts * per_district
        elif r["scenario"] == "national" and metric.startswith("fan-out 2/2: drain"):
            workers = r["n"] or 1
        elif r["scenario"] == "national" and metric.startswith("worker time per message"):
            label = f"{db}, national, {workers} worker{'s' if workers > 1 else ''}"
            out.setdefault(label, []).append((schools, r["value"]))
    return {db: sorted(points) for db, points in out.items()}


def loop_points(rows: list[dict]) -> dict[str, list[tuple[float, float]]]:
    """{"<db>, <shape>": [(middle round of a window, median ms)]} from the `loop` rows."""
    out: dict[str, set[tuple[float, float]]] = {}
    for r in rows:
        m = WINDOW.match(r["metric"].strip())
        if r["scenario"] == "loop" and m and r["value"] == r["value"]:
            first, last = (int(m.group(g).replace(",", "")) for g in ("first", "last"))
            out.setdefault(f"{r['db']}, {m.group('shape')}", set()).add(((first + last) / 2, r["value"]))
    return {label: sorted(points) for label, points in out.items()}


def mi_points(rows: list[dict]) -> dict[str, list[tuple[int, float]]]:
    """{"<db>, <parallel|sequential>, <in process|HTTP>": [(N, median ms of one completion)]} from `mi`."""
    out: dict[str, list[tuple[int, float]]] = {}
    for r in rows:
        m = MI_ONE.match(r["metric"].strip())
        if r["scenario"] == "mi" and m:
            label = f"{r['db']}, {m.group('kind')}, {m.group('how')}"
            out.setdefault(label, []).append((int(m.group("n")), r["value"]))
    return {label: sorted(points) for label, points in out.items()}


def plot_loops_and_mi(out: Path, rows: list[dict], machine: dict) -> bool:
    """The issue 18 figure: loop cost against rounds, multi-instance cost against N. False without such rows."""
    import matplotlib.pyplot as plt

    loops, mi = loop_points(rows), mi_points(rows)
    if not (loops or mi):
        return False
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, points in loops.items():
        xs, ys = zip(*points, strict=True)
        style = {"gateway": "o-", "event": "s--"}.get(label.split(", ", 1)[1], "^:")
        left.plot(xs, ys, style, color=COLOURS.get(label.split(",")[0]), label=label, alpha=0.85)
    _finish(left, "rounds the loop has behind it", "one completion over HTTP, ms (median)", "Loop cost against rounds")
    for label, points in mi.items():
        xs, ys = zip(*points, strict=True)
        style = ("o-" if "parallel" in label else "s--") if "HTTP" in label else ("o:" if "parallel" in label else "s:")
        right.plot(xs, ys, style, color=COLOURS.get(label.split(",")[0]), label=label)
    right.axhline(10, color="grey", linewidth=0.8, linestyle="--")
    _finish(right, "N (multi-instance tasks)", "complete one, ms (median)", "Multi-instance cost against N")
    fig.suptitle(
        f"Cascade benchmarks (bench/), commits {machine['commits']}, {machine.get('cpus', '?')} cores", fontsize=10
    )
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return True


def _finish(ax, xlabel: str, ylabel: str, title: str) -> None:
    ax.set(xscale="log", xlabel=xlabel, ylabel=ylabel, title=title, ylim=(0, None))
    ax.legend()
    ax.grid(alpha=0.3)


def plot(out: Path, paths: list[Path]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, machine = _rows(paths)
    plot_loops_and_mi(out.with_name(f"{out.stem}-loops-mi{out.suffix}"), rows, machine)
    if not (history_points(rows) or school_points(rows)):
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for db, points in history_points(rows).items():
        xs, ys = zip(*points, strict=True)
        left.plot(xs, ys, "o-", color=COLOURS.get(db), label=db)
    _finish(left, "steps already completed in the instance", "one more step, ms (median)", "History does not cost")
    for label, points in school_points(rows).items():
        xs, ys = zip(*points, strict=True)
        marker = "s" if "1 worker" in label else "^" if "workers" in label else "o-"
        right.plot(xs, ys, marker, color=COLOURS.get(label.split(",")[0]), label=label, markersize=8)
    _finish(right, "schools reached by the fan-out", "ms per school started", "Fan-out cost per school")
    fig.suptitle(
        f"Cascade benchmarks (bench/), commits {machine['commits']}, {machine.get('cpus', '?')} cores", fontsize=10
    )
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    plot(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]])
