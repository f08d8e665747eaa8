"""Scenario `timers`: N instances of bench/workflows/bench_timer.bpmn wait for timers falling due evenly within
one minute, and real `flask worker` processes (the default `--interval 1`) fire them, in real time.

Every process replays the same engine clock (CASCADE_CLOCK_START with its anchor stored once, as in the demo),
so the due times the bench sets and the firing times the workers record are on one clock. Lateness = the engine
time the worker recorded the firing (the instance's `timer.fire` audit row) − the timer's due time: what the
worker's wake-up costs (a 1 s poll: about half a second on average, up to a second) plus the firing itself.
A second set, all due at the same moment, gives the workers' throughput (due → last one fired).

    CASCADE_BENCH_TIMER_WORKERS=1,2   worker counts, one fresh set of timers each (default 1)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select

from bench.harness import START, Row, actor, deploy_bench_workflow, percentile, seeded_app

NAME = "timers"
ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.25  # s: lateness p99 (issue 18)
LEAD = timedelta(seconds=12)  # the workers start (and warm up) before the first timer is due


def _start_all(engine, who, first_due: datetime, spread: timedelta, n: int) -> dict[int, datetime]:
    from web.deps import store

    due = {}
    for i in range(n):
        at = first_due + spread * (i / max(1, n - 1))
        due[engine.start_process(store(), who, "bench_timer", {"wake_at": at.isoformat()})] = at
    return due


def _anchor(replay_from: datetime) -> str:
    """Start the replayed clock at `replay_from` now, for this process and (through the stored anchor) for the
    workers it spawns; returns the CASCADE_CLOCK_START text."""
    from engine.core.clock import clock
    from models import db
    from models.org import ClockAnchor

    start, now = replay_from.isoformat(), datetime.now(UTC)
    db.session.execute(delete(ClockAnchor).where(ClockAnchor.start_at == start))
    db.session.add(ClockAnchor(start_at=start, real_at=now))
    db.session.commit()
    clock.start_at(replay_from, since=now)
    return start


def _spawn(uri: str, clock_start: str, count: int, logs: Path) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "CASCADE_DATABASE_URL": uri,
        "CASCADE_SECRET_KEY": "bench-timers",
        "CASCADE_DEV": "1",
        "CASCADE_CLOCK_START": clock_start,
        "FLASK_APP": "wsgi.py",
    }
    return [
        subprocess.Popen(  # noqa: S603 - our own interpreter and command
            [sys.executable, "-m", "flask", "worker", "--interval", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(logs / f"worker-{i}.log", "w"),  # noqa: SIM115 - closed with the process
        )
        for i in range(count)
    ]


def _fired(due: dict[int, datetime], until: float) -> dict[int, datetime]:
    """Each instance's firing time (engine clock), waiting until all fired or `until` (monotonic)."""
    from models import db
    from models.workflow import AuditEvent

    ids = list(due)
    while True:
        db.session.remove()
        count = db.session.scalar(
            select(func.count()).where(AuditEvent.action == "timer.fire", AuditEvent.instance_id.in_(ids))
        )
        if count >= len(ids) or time.monotonic() > until:
            break
        time.sleep(0.5)
    rows = db.session.execute(
        select(AuditEvent.instance_id, AuditEvent.at).where(
            AuditEvent.action == "timer.fire", AuditEvent.instance_id.in_(ids)
        )
    ).all()
    db.session.remove()
    return dict(rows)


def _round(app, uri: str, workers: int, n: int, window: timedelta, base: datetime) -> list[Row]:
    from engine.core.clock import clock
    from models import db
    from web.deps import cascade

    tag = f"{workers} worker{'s' if workers > 1 else ''}"
    with app.app_context():
        engine, who = cascade(), actor("pgddt.cttt")
        clock.freeze(START)
        build = time.perf_counter()
        first = base + LEAD
        schedule = _start_all(engine, who, first, window, n)
        burst_at = first + window + timedelta(seconds=5)
        burst = _start_all(engine, who, burst_at, timedelta(0), n)
        build = time.perf_counter() - build
        db.session.remove()
        clock_start = _anchor(base)
        with tempfile.TemporaryDirectory(prefix="cascade-bench-timers-") as logs:
            procs = _spawn(uri, clock_start, workers, Path(logs))
            try:
                wait = (burst_at - clock.now()).total_seconds()
                fired = _fired(schedule, time.monotonic() + wait + 30)
                burst_fired = _fired(burst, time.monotonic() + max(0.0, (burst_at - clock.now()).total_seconds()) + 120)
            finally:
                for proc in procs:
                    proc.terminate()
                for proc in procs:
                    proc.wait(30)
                errors = "".join((Path(logs) / f"worker-{i}.log").read_text()[-500:] for i in range(workers))
        clock.freeze(START)
    if len(fired) < n or len(burst_fired) < n:
        raise RuntimeError(f"{n - len(fired)} + {n - len(burst_fired)} timers never fired; workers said: {errors}")
    late = [(fired[i] - due).total_seconds() for i, due in schedule.items()]
    drain = max((at - burst_at).total_seconds() for at in burst_fired.values())
    median, p99 = percentile(late, 0.5), percentile(late, 0.99)
    return [
        Row(NAME, "", f"{n} timers due within {window.seconds} s, {tag}: lateness p50", median, "s", n=n),
        Row(NAME, "", "  lateness p95", percentile(late, 0.95), "s"),
        Row(NAME, "", f"  lateness p99 ({tag}, real processes)", p99, "s", target="≤ 0.25 s", met=p99 <= TARGET),
        Row(NAME, "", "  lateness max", max(late), "s"),
        Row(NAME, "", f"throughput: {n} timers due at once, {tag}", n / drain, "timers/s"),
        Row(NAME, "", "  due → last one fired", drain, "s"),
        Row(NAME, "", f"  start {2 * n} waiting instances (build)", build, "s"),
    ]


def run(backend: str, quick: bool) -> list[Row]:
    from bench.harness import PG_URL

    n, window = (200, timedelta(seconds=20)) if quick else (1000, timedelta(minutes=1))
    counts = [int(c) for c in os.environ.get("CASCADE_BENCH_TIMER_WORKERS", "1").split(",") if c.strip()]
    rows: list[Row] = []
    with seeded_app(backend) as app:
        deploy_bench_workflow(app, "bench_timer.bpmn")
        uri = PG_URL if backend == "postgres" else app.config["SQLALCHEMY_DATABASE_URI"]
        for k, workers in enumerate(counts):
            base = START + timedelta(days=1 + k)  # each round's timers after the last round's
            for row in _round(app, uri, workers, n, window, base):
                row.db = backend
                rows.append(row)
    return rows
