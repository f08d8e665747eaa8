"""Exactly once, on SQLite and on PostgreSQL: this process delivers inline (as the web process does after a
request) while two `flask worker` processes deliver and fire timers on the same database, as a reporting period
for every school and a directive to every school are opened. Afterwards there is exactly one instance per
school and subject, every message was delivered once (none twice, none left), and no timer fired twice.
The second run kills workers with SIGKILL at random moments and restarts them (as the PostgreSQL load test does).

Each run uses a database of its own, migrated and seeded by the real `flask` commands."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.core.clock import clock
from tests.conftest import fresh_postgres

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask"]
CLOCK_START = "2022-09-15T16:59:48+07:00"


def _database(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'once.db'}"
    return fresh_postgres("once")


class Workers:
    """`flask worker` processes on one database; `kill_randomly` SIGKILLs and restarts them until stopped."""

    def __init__(self, env: dict, count: int):
        self.env, self.procs, self.kills = env, [], 0
        self.stop = threading.Event()
        for _ in range(count):
            self.procs.append(self._spawn())

    def _spawn(self) -> subprocess.Popen:
        return subprocess.Popen(
            [*FLASK, "worker", "--interval", "0.05"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill_randomly(self, times: int = 4) -> None:
        rng = random.Random()
        while self.kills < times and not self.stop.wait(rng.uniform(0.3, 1.2)):
            i = rng.randrange(len(self.procs))
            with contextlib.suppress(ProcessLookupError):
                self.procs[i].send_signal(signal.SIGKILL)
            self.procs[i].wait()
            self.kills += 1
            self.procs[i] = self._spawn()

    def close(self) -> None:
        self.stop.set()
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(15)


@pytest.mark.parametrize("kills", [False, True], ids=["calm", "killed"])
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_inline_delivery_and_two_workers_do_everything_once(backend, kills, tmp_path):
    url = _database(backend, tmp_path)
    env = {
        **os.environ,
        "CASCADE_DATABASE_URL": url,
        "CASCADE_SECRET_KEY": "exactly-once-test",
        "FLASK_APP": "wsgi.py",
        # every process replays from this instant: the directive's follow-up deadline (15/09 17:00) falls due
        # about 12 s after the start, while the workers run
        "CASCADE_CLOCK_START": CLOCK_START,
        "CASCADE_WARM_INSTANCES": "256",
        "CASCADE_DEV": "1",  # the demo's people (shared demo password) serve this test
    }
    subprocess.run([*FLASK, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*FLASK, "seed"], cwd=ROOT, env=env, check=True, capture_output=True)

    from web import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "CLOCK_START": CLOCK_START})
    with app.app_context(), contextlib.ExitStack() as stack:
        stack.callback(clock.reset)
        from engine.reporting import services as reporting_services
        from models import db
        from models.org import Organisation
        from models.report import ReportingRegime
        from models.workflow import AuditEvent, HumanTask, Message, ProcessInstance, Timer
        from tests.support.reporting_walk import token_actor
        from web.deps import cascade, store

        office = db.session.scalars(select(Organisation).where(Organisation.code == "cp-pgddt")).one()
        schools = db.session.scalars(
            select(Organisation).where(Organisation.parent_id == office.id, Organisation.kind == "school")
        ).all()
        assert len(schools) >= 55
        regime = db.session.scalars(select(ReportingRegime).where(ReportingRegime.frequency == "quarterly")).one()
        db.session.remove()

        workers = Workers(env, 2)
        killer = threading.Thread(target=workers.kill_randomly) if kills else None
        try:
            if killer:
                killer.start()
            # a period for every school (its deadlines already past: the timers are due at once) ...
            reporting_services.open_period(cascade(), store(), token_actor("pgddt.cttt"), regime.id, 2022, 3)
            cascade().deliver_messages(store(), limit=15)  # inline, like the web process after the request
            # ... and a directive to every school, issued through the engine's own steps
            instance_id = cascade().start_process(store(), token_actor("pgddt.cttt"), "directive_plan")
            recipients = [{"org_id": s.id, "purpose": "thuc_hien"} for s in schools]
            for bpmn_id, who, data in (
                (
                    "draft_plan",
                    "pgddt.cttt",
                    {"trich_yeu": "KH", "noi_dung": "…", "han_nop": "2022-09-15", "noi_nhan": recipients},
                ),
                ("approve_plan", "pgddt.pho", {"quyet_dinh": "approve"}),
                ("register_plan", "pgddt.vanthu", {"noi_nhan": recipients}),
            ):
                task = db.session.scalars(
                    select(HumanTask).where(
                        HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id, HumanTask.status == "open"
                    )
                ).one()
                cascade().complete_task(store(), token_actor(who), task.id, data)
                cascade().deliver_messages(store(), limit=15)
            for _ in range(3):
                cascade().deliver_messages(store(), limit=10)
                cascade().fire_due_timers(store(), limit=10)
                db.session.remove()

            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                db.session.expire_all()
                pending = db.session.scalar(
                    select(func.count()).select_from(Message).where(Message.status == "pending")
                )
                instances = db.session.scalar(
                    select(func.count())
                    .select_from(ProcessInstance)
                    .where(ProcessInstance.process_key == "school_plan")
                )
                chased = db.session.scalar(
                    select(func.count()).select_from(HumanTask).where(HumanTask.bpmn_id == "chase_late")
                )
                if not pending and instances >= len(schools) and chased:
                    break
                time.sleep(0.3)
            time.sleep(1.5)  # timers due by now have been fired
        finally:
            workers.close()
            if killer:
                killer.join()

        db.session.expire_all()
        # exactly one instance per school and subject
        keys = Counter(
            db.session.execute(
                select(ProcessInstance.process_key, ProcessInstance.org_id, ProcessInstance.subject).where(
                    ProcessInstance.process_key.in_(("school_report", "school_plan"))
                )
            ).all()
        )
        assert {n for n in keys.values()} == {1}
        per_process = Counter(key for key, _org, _subject in keys)
        assert per_process == {"school_report": len(schools), "school_plan": len(schools)}
        # every message delivered, once; none dropped as a duplicate, because none was delivered twice
        statuses = Counter(db.session.scalars(select(Message.status)))
        assert set(statuses) == {"delivered"}, statuses
        duplicates = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "message.duplicate")
        )
        assert duplicates == 0
        # every school has one open report task, not two
        open_fill = Counter(
            db.session.scalars(
                select(ProcessInstance.org_id)
                .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
                .where(HumanTask.bpmn_id == "fill_report", HumanTask.status == "open")
            )
        )
        assert set(open_fill.values()) == {1} and len(open_fill) == len(schools)
        # no timer fired twice: each firing names the timers it found due, and none appears twice
        fired = Counter()
        for event in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "timer.fire")):
            for guid_due in (event.detail or {}).get("timers", []):
                fired[(event.instance_id, *guid_due)] += 1
        assert fired and max(fired.values()) == 1
        chase = db.session.scalars(select(HumanTask).where(HumanTask.bpmn_id == "chase_late")).all()
        assert len(chase) == 1 and chase[0].instance_id == instance_id
        now = clock.now()  # the replayed instant, as the workers see it give or take their start
        assert [t for t in db.session.scalars(select(Timer).where(Timer.fired.is_(False))) if t.due_at < now] == []
        if kills:
            assert workers.kills >= 1


def test_a_second_delivery_of_the_same_start_is_dropped_by_the_business_key_and_audited(app):
    """A copy of a period's opening message (as a lost claim would deliver it twice) starts nothing: the school keeps
    one report instance, the copy is marked delivered to it, and the audit says it was a duplicate."""
    from sqlalchemy.exc import IntegrityError

    from engine.reporting import services as reporting_services
    from models import db
    from models.report import ReportingRegime
    from models.workflow import AuditEvent, Message, ProcessInstance
    from tests.support.reporting_walk import token_actor
    from web.deps import cascade, store

    with app.app_context():
        regime = db.session.scalars(select(ReportingRegime).where(ReportingRegime.frequency == "quarterly")).one()
        reporting_services.open_period(cascade(), store(), token_actor("pgddt.cttt"), regime.id, 2022, 3)
        cascade().deliver_messages(store())
        original = db.session.scalars(
            select(Message).where(Message.name == "report_period_opened").order_by(Message.id)
        ).first()
        before = db.session.scalar(select(func.count()).select_from(ProcessInstance))
        copy = Message(
            name=original.name,
            payload=dict(original.payload),
            target_org_id=original.target_org_id,
            status="pending",
            attempts=0,
            created_at=original.created_at,
        )
        db.session.add(copy)
        db.session.commit()
        assert cascade().deliver_messages(store()) == 1
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(ProcessInstance)) == before
        delivered = db.session.get(Message, copy.id)
        assert delivered.status == "delivered" and delivered.target_instance_id == original.target_instance_id
        audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "message.duplicate")).one()
        assert audit.instance_id == original.target_instance_id
        assert audit.detail["subject"] == f"period:{original.payload['period_id']}"

        # and the database itself refuses a second instance with the same key
        first = db.session.get(ProcessInstance, original.target_instance_id)
        twin = ProcessInstance(
            definition_id=first.definition_id,
            process_key=first.process_key,
            org_id=first.org_id,
            title=first.title,
            serializer_version=first.serializer_version,
            subject=first.subject,
        )
        db.session.add(twin)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_marking_a_message_delivered_checks_it_was_still_pending(app):
    """The claim's last line of defence: a message another process delivered cannot be delivered again."""
    from engine.core.clock import clock
    from models import db
    from models.store.outbox import MessageAlreadyDelivered
    from models.workflow import Message
    from web.deps import store

    with app.app_context():
        message = Message(name="x", payload={}, status="delivered", attempts=1, created_at=clock.now())
        db.session.add(message)
        db.session.commit()
        with pytest.raises(MessageAlreadyDelivered):
            store().message_delivered(message.id, None, clock.now())
        db.session.rollback()


def test_a_claimed_message_cannot_be_claimed_by_another_process_until_the_claim_ends(app):
    """The claim itself, on both databases: while one connection holds a batch (PostgreSQL: row locks; SQLite: the
    database's write lock), another connection gets none of it — it skips the rows, or waits and then finds them
    delivered. Without the claim both would deliver the same messages."""
    from engine.core.clock import clock
    from models import db
    from models.workflow import Message
    from web.deps import store

    with app.app_context():
        ids = []
        for n in range(3):
            message = Message(name=f"probe{n}", payload={}, status="pending", attempts=0, created_at=clock.now())
            db.session.add(message)
            db.session.flush()
            ids.append(message.id)
        db.session.commit()
        mine = store()
        batch = mine.claim_pending_messages(10)
        assert sorted(m.id for m in batch) == ids
        theirs: list = []

        def other_process() -> None:
            with app.app_context():
                theirs.extend(store().claim_pending_messages(10))
                db.session.rollback()

        other = threading.Thread(target=other_process)
        other.start()
        other.join(0.5)  # SQLite: it waits for the write lock; PostgreSQL: it skipped the locked rows already
        for message in batch:
            mine.message_delivered(message.id, None, clock.now())
        mine.commit()
        other.join(10)
        assert not other.is_alive() and theirs == []
        db.session.expire_all()
        assert {m.status for m in db.session.scalars(select(Message).where(Message.id.in_(ids)))} == {"delivered"}
