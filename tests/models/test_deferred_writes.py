"""Writes that wait for the next statement (models.deferred, PostgreSQL; SQLite writes at once): a read sees them,
the commit sends them, a rollback drops them, a bad one fails the transaction at the next statement, and a step's
close, audit row and state write travel in the new task's statement."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine.core.clock import clock
from models import db, deferred
from models.store import SqlStore
from models.workflow import AuditEvent, HumanTask
from tests.support.walk import open_task, org, user
from web.deps import actor_for, cascade


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def started(app) -> tuple[int, int]:
    cttt = actor_for(user("pgddt.cttt"))
    instance_id = cascade().start_process(SqlStore(), cttt, "directive_plan")
    task_id = open_task("draft_plan", instance_id=instance_id).id
    db.session.rollback()
    return instance_id, task_id


def test_a_read_sees_waiting_writes_and_the_commit_sends_the_rest(app):
    with app.app_context():
        pg = db.engine.dialect.name == "postgresql"
        instance_id, task_id = started(app)
        cttt = actor_for(user("pgddt.cttt"))
        s = SqlStore()
        s.lock_task(task_id)
        s.close_human_task(task_id, "cancelled", None, clock.now())
        s.audit(cttt, "test.deferred.first", instance_id=instance_id, at=clock.now())
        assert len(deferred.waiting(db.session.connection())) == (2 if pg else 0)
        # any statement on the connection sends what waits first
        assert db.session.scalar(select(HumanTask.status).where(HumanTask.id == task_id)) == "cancelled"
        assert audit_count("test.deferred.first") == 1
        assert deferred.waiting(db.session.connection()) == []
        s.audit(cttt, "test.deferred.second", instance_id=instance_id, at=clock.now())
        s.commit()
        assert audit_count("test.deferred.second") == 1


def test_a_rollback_drops_waiting_writes(app):
    with app.app_context():
        instance_id, task_id = started(app)
        s = SqlStore()
        s.lock_task(task_id)
        s.close_human_task(task_id, "cancelled", None, clock.now())
        s.audit(actor_for(user("pgddt.cttt")), "test.deferred.dropped", instance_id=instance_id, at=clock.now())
        s.rollback()
        assert audit_count("test.deferred.dropped") == 0
        assert db.session.get(HumanTask, task_id).status == "open"


def test_a_bad_waiting_write_fails_the_transaction_at_the_next_statement(app):
    with app.app_context():
        instance_id, task_id = started(app)
        s = SqlStore()
        s.lock_task(task_id)
        s.close_human_task(task_id, "cancelled", None, clock.now())
        with pytest.raises(IntegrityError):  # action is NOT NULL
            s.audit(actor_for(user("pgddt.cttt")), None, instance_id=instance_id, at=clock.now())
            db.session.execute(select(1))
        db.session.rollback()
        assert db.session.get(HumanTask, task_id).status == "open"  # the close went down with it


def test_a_step_sends_its_writes_in_the_new_task_statement(app):
    """Completing draft_plan on PostgreSQL: the lock, then one statement (close, audit, state write, new task)."""
    from sqlalchemy import event

    with app.app_context():
        instance_id, task_id = started(app)
        cttt = actor_for(user("pgddt.cttt"))
        school = org("cp-s-thcs-suoi-khoang").id
        form = {
            "trich_yeu": "Kế hoạch",
            "noi_dung": "Nội dung",
            "han_nop": "2022-08-31",
            "noi_nhan": [{"org_id": school, "purpose": "thuc_hien"}],
        }
        statements: list[str] = []

        def count(conn, cursor, statement, *args):
            statements.append(" ".join(statement.split())[:60])

        event.listen(db.engine, "before_cursor_execute", count)
        ahead = deferred.sent_ahead
        try:
            cascade().complete_task(SqlStore(), cttt, task_id, form)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        if db.engine.dialect.name == "postgresql":
            assert len(statements) == 2 and deferred.sent_ahead == ahead, statements
            assert statements[1].startswith("WITH d0_closed AS ( UPDATE human_task"), statements
        assert db.session.get(HumanTask, task_id).status == "completed"
        assert open_task("approve_plan", instance_id=instance_id)
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.instance_id == instance_id, AuditEvent.action == "task.complete")
            )
            == 1
        )


def test_generic_plans_last_only_as_long_as_a_locked_step(pg_app):
    """PostgreSQL: the lock switches the rest of its transaction to generic plans (its write statement would be
    planned anew at every step otherwise); the connection is back to the server's setting after the commit."""
    from sqlalchemy import text

    app = pg_app
    with app.app_context():
        default = db.session.execute(text("SHOW plan_cache_mode")).scalar()
        _, task_id = started(app)
        s = SqlStore()
        s.lock_task(task_id)
        assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "force_generic_plan"
        s.commit()
        assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == default != "force_generic_plan"


def test_a_savepoint_keeps_what_waited_before_it_and_drops_what_its_rollback_undoes(pg_app):
    with pg_app.app_context():
        instance_id, _ = started(pg_app)
        cttt = actor_for(user("pgddt.cttt"))
        s = SqlStore()
        s.audit(cttt, "test.deferred.before", instance_id=instance_id, at=clock.now())
        nested = db.session.begin_nested()  # sends what waits
        s.audit(cttt, "test.deferred.inside", instance_id=instance_id, at=clock.now())
        nested.rollback()
        s.commit()
        assert audit_count("test.deferred.before") == 1
        assert audit_count("test.deferred.inside") == 0
