"""The worker wakes for work instead of polling (web/worker.py). With a 5 s interval, which a polling worker could
only meet by luck, a timer due about 2 s ahead fires within 600 ms of its due time (the bench measures the 250 ms
target): on SQLite by sleeping until it, on PostgreSQL also when the timer was written while the worker slept, by
the NOTIFY of its transaction. On PostgreSQL a message a step throws is delivered at once. A real `flask worker`
process does the same and stops promptly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text

from engine.core.clock import VN_TZ, clock
from models import db
from models.org import ClockAnchor
from models.workflow import AuditEvent, Message, Timer
from tests.conftest import PG_URL
from tests.support.reporting_walk import token_actor
from tests.support.walk import open_task, org
from web.deps import cascade, store
from web.worker import Waker, run_worker

ROOT = Path(__file__).resolve().parents[2]
INTERVAL = 5.0  # s: longer than the whole test's wait, so only a wake-up can be on time
ON_TIME = 0.6  # s: a timer fired this soon after its due time (the target is 0.25 s, kept loose for busy hosts)
AT_ONCE = 1.0  # s: commit → both thrown messages delivered (each starts a school's instance)
DUE = datetime(2022, 8, 5, 17, 0, tzinfo=VN_TZ)  # the follow-up deadline of a plan with han_nop 05/08/2022
SCHOOLS = ("cp-s-thcs-suoi-khoang", "cp-s-mn-cam-son")


def _sender(to, subject, body):  # e-mail is not what these tests are about
    raise RuntimeError("no SMTP server in this test")


def _approved_plan() -> tuple[int, list[dict]]:
    """Phòng GDĐT's plan to two schools, drafted and approved (the clock frozen): registering it throws a message
    to each school and starts the follow-up deadline timer."""
    recipients = [{"org_id": org(code).id, "purpose": "thuc_hien"} for code in SCHOOLS]
    instance_id = cascade().start_process(store(), token_actor("pgddt.cttt"), "directive_plan")
    draft = {"trich_yeu": "Kế hoạch", "noi_dung": "…", "han_nop": "2022-08-05", "noi_nhan": recipients}
    for bpmn_id, who, data in (
        ("draft_plan", "pgddt.cttt", draft),
        ("approve_plan", "pgddt.pho", {"quyet_dinh": "approve"}),
    ):
        cascade().complete_task(store(), token_actor(who), open_task(bpmn_id, instance_id=instance_id).id, data)
    db.session.remove()
    return instance_id, recipients


def _register(instance_id: int, recipients: list[dict]) -> datetime:
    """The clerk registers the plan (no inline delivery: the outbox is left to the worker); returns the engine
    time of the commit."""
    task = open_task("register_plan", instance_id=instance_id)
    cascade().complete_task(store(), token_actor("pgddt.vanthu"), task.id, {"noi_nhan": recipients})
    committed = clock.now()
    db.session.remove()
    return committed


def _fired_at(instance_id: int, until: float) -> datetime | None:
    """The engine time the worker recorded firing the deadline (its `timer.fire` audit row), waiting until then."""
    while time.monotonic() < until:
        db.session.remove()
        at = db.session.scalar(
            select(AuditEvent.at).where(AuditEvent.action == "timer.fire", AuditEvent.instance_id == instance_id)
        )
        if at is not None:
            return at
        time.sleep(0.02)
    return None


def _delivered(until: float) -> list[tuple[datetime, datetime]]:
    """(created, delivered) of the plan's two messages to the schools once both are delivered."""
    while time.monotonic() < until:
        db.session.remove()
        rows = db.session.execute(
            select(Message.created_at, Message.delivered_at).where(
                Message.name == "implement_directive", Message.status == "delivered"
            )
        ).all()
        if len(rows) == len(SCHOOLS):
            return [tuple(r) for r in rows]
        time.sleep(0.02)
    return []


class WorkerThread:
    """`run_worker` (what `flask worker` runs) in a thread of this process, with its own app context."""

    def __init__(self, app):
        self.waker = Waker()
        self.errors: list[BaseException] = []

        def run():
            with app.app_context():
                try:
                    run_worker(cascade, store, _sender, INTERVAL, waker=self.waker)
                except BaseException as exc:  # noqa: BLE001 - reported by the test
                    self.errors.append(exc)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def stop(self) -> float:
        """Stop it (as SIGTERM does) and return how long it took to end."""
        started = time.monotonic()
        self.waker.stop()
        self.thread.join(INTERVAL * 2)
        assert not self.thread.is_alive() and not self.errors, self.errors
        return time.monotonic() - started


def test_a_sleeping_worker_fires_a_timer_on_its_due_time_without_polling(app):
    """SQLite and PostgreSQL: the timer exists when the worker goes to sleep; it sleeps until the due time."""
    with app.app_context():
        instance_id, recipients = _approved_plan()
        clock.start_at(DUE - timedelta(seconds=2))
        _register(instance_id, recipients)
        worker = WorkerThread(app)
        try:
            fired = _fired_at(instance_id, time.monotonic() + INTERVAL - 1)
        finally:
            stopped_in = worker.stop()
        assert fired is not None, "the worker did not fire the timer before its interval ran out"
        late = (fired - DUE).total_seconds()
        assert 0 <= late < ON_TIME, late
        assert stopped_in < 1.0  # stopping wakes the sleep
        waiting = select(Timer).where(Timer.instance_id == instance_id, Timer.fired.is_(False), Timer.due_at <= DUE)
        assert db.session.scalars(waiting).all() == []


@pytest.mark.postgres
@pytest.mark.parametrize("app", ["postgres"], indirect=True)
def test_notify_wakes_a_sleeping_worker_for_a_thrown_message_and_a_new_timer(app):
    """PostgreSQL: the worker sleeps (nothing due, a 5 s interval) when the step commits its two messages and its
    deadline timer: the NOTIFY of that transaction wakes it, it delivers the messages at once and fires the
    timer on time."""
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
        instance_id, recipients = _approved_plan()
        clock.start_at(DUE - timedelta(seconds=2))
        worker = WorkerThread(app)
        try:
            time.sleep(0.3)  # the worker's first round found nothing: it sleeps for its whole interval
            assert worker.waker.notified == 0
            committed = _register(instance_id, recipients)
            delivered = _delivered(time.monotonic() + 2)
            fired = _fired_at(instance_id, time.monotonic() + 4)
        finally:
            worker.stop()
        assert delivered, "the thrown messages were not delivered while the worker slept"
        assert worker.waker.notified >= 1
        assert max((at - committed).total_seconds() for _created, at in delivered) < AT_ONCE
        assert fired is not None and 0 <= (fired - DUE).total_seconds() < ON_TIME, fired


@pytest.mark.postgres
@pytest.mark.parametrize("app", ["postgres"], indirect=True)
def test_a_flask_worker_process_is_woken_by_a_step_and_stops_on_sigterm(app):
    """PostgreSQL, a real `flask worker --interval 30` process: once it listens and sleeps, a step's two thrown
    messages are delivered within two seconds, not thirty; SIGTERM ends it at once, not at the end of its sleep."""
    start = "2022-07-29T08:00:00+07:00"  # the fixture's frozen instant: no timer falls due in the worker's clock
    with app.app_context():
        instance_id, recipients = _approved_plan()
        db.session.execute(delete(ClockAnchor).where(ClockAnchor.start_at == start))  # its replay begins now
        db.session.commit()
        env = {
            **os.environ,
            "CASCADE_DATABASE_URL": PG_URL,
            "CASCADE_SECRET_KEY": "worker-wake-test",
            "CASCADE_DEV": "1",
            "CASCADE_CLOCK_START": start,
            "FLASK_APP": "wsgi.py",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "worker", "--interval", "30"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            listening = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = :q")
            deadline = time.monotonic() + 60
            while not db.session.scalar(listening, {"q": "LISTEN cascade_work"}):
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "the worker never listened"
                db.session.remove()
                time.sleep(0.05)
            db.session.remove()
            time.sleep(1.0)  # its first round (nothing to do) is over: it sleeps for 30 s
            clock.start_at(datetime.fromisoformat(start))
            committed = time.monotonic()
            _register(instance_id, recipients)
            delivered = _delivered(committed + 10)
            woken_in = time.monotonic() - committed
            stopping = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
            stopped_in = time.monotonic() - stopping
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert delivered, "the thrown messages were not delivered"
        assert woken_in < 2.0, woken_in  # its interval is 30 s
        assert proc.returncode == 0 and stopped_in < 2.0, (proc.returncode, stopped_in)
