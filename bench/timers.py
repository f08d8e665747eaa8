"""Scenario `timers`: N instances of bench/workflows/bench_timer.bpmn wait for timers falling due evenly within
one minute; a worker loop like `flask worker` (Cascade.fire_due_timers, then deliver_messages, then a 1 s
poll interval) fires them. The engine clock runs at real speed while the worker works and skips ahead over
the idle sleeps, so a minute of schedule costs only the work. Lateness = the engine time the instance recorded
the firing (its `timer.fire` audit row) − the timer's due time. A second set, all due at once, gives the
worker's throughput."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from bench.harness import START, Row, actor, deploy_bench_workflow, percentile, seeded_app

NAME = "timers"
POLL = timedelta(seconds=1)  # `flask worker --interval` default


def _start_all(engine, who, n: int, first_due, spread: timedelta) -> dict[int, object]:
    from web.deps import store

    due = {}
    for i in range(n):
        at = first_due + spread * (i / max(1, n - 1))
        due[engine.start_process(store(), who, "bench_timer", {"wake_at": at.isoformat()})] = at
    return due


def _worker(engine, until_all: int, deadline_s: float) -> tuple[int, float, int]:
    """Poll like `flask worker` until `until_all` instances fired; returns (fired, busy wall s, rounds)."""
    from engine.core.clock import clock
    from models import db
    from web.deps import store

    fired = busy = rounds = 0
    started = time.perf_counter()
    while fired < until_all and time.perf_counter() - started < deadline_s:
        t = time.perf_counter()
        got = engine.fire_due_timers(store())
        engine.deliver_messages(store())
        db.session.remove()
        if got:
            busy += time.perf_counter() - t
        fired += got
        rounds += 1
        clock.advance(POLL)  # the worker's sleep, skipped in wall time
    return fired, busy, rounds


def _lateness(due: dict[int, object]) -> list[float]:
    from models import db
    from models.workflow import AuditEvent

    db.session.rollback()
    fired_at = dict(
        db.session.execute(
            select(AuditEvent.instance_id, AuditEvent.at).where(
                AuditEvent.action == "timer.fire", AuditEvent.instance_id.in_(list(due))
            )
        ).all()
    )
    missing = set(due) - set(fired_at)
    if missing:
        raise RuntimeError(f"{len(missing)} timers never fired")
    return [(fired_at[i] - due[i]).total_seconds() for i in due]


def run(backend: str, quick: bool) -> list[Row]:
    from engine.core.clock import clock
    from web.deps import cascade

    n = 200 if quick else 1000
    rows: list[Row] = []
    with seeded_app(backend) as app:
        deploy_bench_workflow(app, "bench_timer.bpmn")
        with app.app_context():
            engine, who = cascade(), actor("pgddt.cttt")
            build = time.perf_counter()
            schedule = _start_all(engine, who, n, START + timedelta(minutes=1), timedelta(minutes=1))
            _start_all(engine, who, n, START + timedelta(hours=1), timedelta(0))
            build = time.perf_counter() - build

            # 1. due evenly within a minute, the clock running from just before the first is due
            clock.start_at(START + timedelta(minutes=1) - POLL)
            fired, busy, rounds = _worker(engine, n, 600)
            late = _lateness(schedule)
            # 2. all due at once: how fast one worker drains them
            clock.start_at(START + timedelta(hours=1, seconds=1))
            t = time.perf_counter()
            drained, _, _ = _worker(engine, n, 600)
            drain = time.perf_counter() - t
            clock.freeze(START)

    p50, p99 = percentile(late, 0.5), percentile(late, 0.99)
    rows.append(Row(NAME, backend, f"{n} timers due within 1 min: lateness p50", p50, "s", n=len(late)))
    rows.append(Row(NAME, backend, "  lateness p99 (engine clock, 1 s poll)", p99, "s", target="≤ 2 s", met=p99 <= 2))
    rows.append(Row(NAME, backend, "  lateness max", max(late), "s"))
    rows.append(Row(NAME, backend, "  worker rounds (1 per engine-clock second)", rounds, "rounds"))
    rows.append(Row(NAME, backend, "  wall time spent firing", busy, "s"))
    rows.append(Row(NAME, backend, f"throughput: {drained} timers due at once, 1 worker", drained / drain, "timers/s"))
    rows.append(Row(NAME, backend, "  ms per fired timer", drain * 1000 / max(1, drained), "ms"))
    rows.append(Row(NAME, backend, f"  start {2 * n} waiting instances (build)", build, "s"))
    return rows
