"""Due timers queued up fire in batches (engine/core/delivery.py: TIMER_BATCH instances per transaction, one commit
each), each instance exactly once, also with two workers at once; a batch holding a failing timer is rolled back
and fired again one instance per transaction, so the others fire and only the failing one is counted. On SQLite
and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import event, func, select

from engine import create_engine
from engine.core import delivery
from engine.core.clock import VN_TZ, clock
from models import db
from models.workflow import AuditEvent, Timer
from tests.e2e.test_step_failures import cleanup, deploy, diagram
from tests.support.reporting_walk import token_actor
from web.deps import cascade, store

START = datetime(2022, 9, 12, 9, 0, tzinfo=VN_TZ)


def _start(key: str, n: int) -> list[int]:
    who = token_actor("pgddt.cttt")
    ids = [cascade().start_process(store(), who, key) for _ in range(n)]
    db.session.remove()
    return ids


def _fires(ids: list[int]) -> dict[int, int]:
    db.session.remove()
    rows = db.session.execute(
        select(AuditEvent.instance_id, func.count())
        .where(AuditEvent.action == "timer.fire", AuditEvent.instance_id.in_(ids))
        .group_by(AuditEvent.instance_id)
    )
    return dict(rows.all())


def test_a_backlog_of_due_timers_fires_each_once_in_few_commits(app):
    with app.app_context():
        clock.freeze(START)
        deploy(diagram("probe_batch", "x = 1", timer=True))
        try:
            ids = _start("probe_batch", 45)
            clock.freeze(START + timedelta(hours=2))
            commits = []
            listener = event.listens_for(db.engine, "commit")(lambda conn: commits.append(1))
            try:
                assert cascade().fire_due_timers(store()) == 45
            finally:
                event.remove(db.engine, "commit", listener)
            assert _fires(ids) == dict.fromkeys(ids, 1)
            # one commit per batch of up to 20 (or per TIMER_BATCH_TIME of work), not one per instance
            assert len(commits) < 45 / 2, len(commits)
            assert db.session.scalar(select(func.count()).where(Timer.instance_id.in_(ids))) == 0
            assert cascade().fire_due_timers(store()) == 0
        finally:
            cleanup("probe_batch")


def test_two_workers_firing_one_backlog_fire_each_instance_once(app, monkeypatch):
    monkeypatch.setattr(delivery, "TIMER_BATCH", 7)
    with app.app_context():
        clock.freeze(START)
        deploy(diagram("probe_batch", "x = 1", timer=True))
        try:
            ids = _start("probe_batch", 60)
            clock.freeze(START + timedelta(hours=2))
            counts, errors = [], []

            def work():
                with app.app_context():
                    try:
                        counts.append(create_engine().fire_due_timers(store()))
                    except BaseException as exc:  # noqa: BLE001 - reported below
                        errors.append(exc)
                    finally:
                        db.session.remove()

            threads = [threading.Thread(target=work) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            assert not errors, errors
            assert sum(counts) == 60
            assert _fires(ids) == dict.fromkeys(ids, 1)
        finally:
            cleanup("probe_batch")


def test_a_failing_timer_in_a_batch_is_counted_alone_and_the_others_fire(app):
    with app.app_context():
        clock.freeze(START)
        deploy(diagram("probe_batch", "x = 1", timer=True))
        deploy(diagram("probe_batch_bad", "x = 1 / 0", timer=True))
        try:
            good = _start("probe_batch", 3)
            (bad,) = _start("probe_batch_bad", 1)
            more = _start("probe_batch", 3)
            clock.freeze(START + timedelta(hours=2))
            assert cascade().fire_due_timers(store()) == 6
            assert _fires(good + more) == dict.fromkeys(good + more, 1)
            assert _fires([bad]) == {}
            timer = db.session.scalars(select(Timer).where(Timer.instance_id == bad)).one()
            assert timer.attempts == 1 and not timer.parked and "ZeroDivisionError" in timer.last_error
        finally:
            cleanup("probe_batch", "probe_batch_bad")
