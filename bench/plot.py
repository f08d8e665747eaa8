"""Plots of how cost grows, from the JSON files `bench.run --json` writes (matplotlib, the `bench` extra).

    .venv/bin/python -m bench.plot OUT.png RUN.json [RUN.json ...]

Left: one completion of a long-lived instance against the steps it has behind it (`history`). Right: the cost
per school of a fan-out against the number of schools (`campha`/`province` at 60 and 650 schools, `national`
at 45,045: the delivery workers' time per message). Values come from the rows as printed, nothing else."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

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


def _finish(ax, xlabel: str, ylabel: str, title: str) -> None:
    ax.set(xscale="log", xlabel=xlabel, ylabel=ylabel, title=title, ylim=(0, None))
    ax.legend()
    ax.grid(alpha=0.3)


def plot(out: Path, paths: list[Path]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, machine = _rows(paths)
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
