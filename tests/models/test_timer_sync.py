"""The timer index follows the waiting timers (`SqlStore.sync_timers`): new rows, moved due times, rows that no
longer wait deleted, fired rows kept. On PostgreSQL the write rides with the step's next statement and a new or
moved timer NOTIFYs `cascade_work` at the commit (what wakes a sleeping worker), never an unchanged or deleted
one, nor a rollback."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg
import pytest
from sqlalchemy import select, update

from engine.core.clock import VN_TZ
from models import db
from models.workflow import Timer
from tests.conftest import PG_URL
from tests.support.reporting_walk import token_actor
from web.deps import cascade, store

AT = datetime(2022, 8, 5, 17, 0, tzinfo=VN_TZ)


def _instance() -> int:
    instance_id = cascade().start_process(store(), token_actor("pgddt.cttt"), "directive_plan")
    db.session.remove()
    return instance_id


def _rows(instance_id: int) -> dict[str, tuple[str, datetime, bool]]:
    db.session.remove()
    rows = db.session.scalars(select(Timer).where(Timer.instance_id == instance_id))
    return {t.guid: (t.bpmn_id, t.due_at, t.fired) for t in rows}


def _sync(instance_id: int, waiting: dict, commit: bool = True) -> None:
    s = store()
    s.sync_timers(instance_id, waiting)
    s.commit() if commit else s.rollback()
    db.session.remove()


def test_sync_inserts_moves_and_deletes_timer_rows(app):
    with app.app_context():
        instance_id = _instance()
        _sync(instance_id, {})
        assert _rows(instance_id) == {}
        _sync(instance_id, {"a": ("late", AT), "b": ("remind", AT + timedelta(days=1))})
        assert _rows(instance_id) == {"a": ("late", AT, False), "b": ("remind", AT + timedelta(days=1), False)}
        _sync(instance_id, {"a": ("late", AT + timedelta(hours=2)), "c": ("late", AT)})  # a moved, b gone, c new
        assert _rows(instance_id) == {"a": ("late", AT + timedelta(hours=2), False), "c": ("late", AT, False)}
        _sync(instance_id, {"z": ("late", AT)}, commit=False)  # rolled back: nothing changed
        assert set(_rows(instance_id)) == {"a", "c"}
        db.session.execute(update(Timer).where(Timer.guid == "a").values(fired=True))
        db.session.commit()
        _sync(instance_id, {})  # unfired rows go, a fired row stays
        assert _rows(instance_id) == {"a": ("late", AT + timedelta(hours=2), True)}


def test_a_step_that_waits_on_a_timer_keeps_one_row_per_waiting_timer(app):
    """The real path: registering a plan starts its follow-up deadline timer, written with the step."""
    from tests.support.walk import open_task, org

    with app.app_context():
        instance_id = _instance()
        recipients = [{"org_id": org("cp-s-mn-cam-son").id, "purpose": "thuc_hien"}]
        draft = {"trich_yeu": "Kế hoạch", "noi_dung": "…", "han_nop": "2022-08-05", "noi_nhan": recipients}
        for bpmn_id, who, data in (
            ("draft_plan", "pgddt.cttt", draft),
            ("approve_plan", "pgddt.pho", {"quyet_dinh": "approve"}),
            ("register_plan", "pgddt.vanthu", {"noi_nhan": recipients}),
        ):
            task = open_task(bpmn_id, instance_id=instance_id)
            cascade().complete_task(store(), token_actor(who), task.id, data)
            db.session.remove()
        rows = _rows(instance_id)
        assert len(rows) == 1
        ((_bpmn_id, due, fired),) = rows.values()
        assert not fired and due.date() == AT.date()


@pytest.mark.postgres
@pytest.mark.parametrize("app", ["postgres"], indirect=True)
def test_a_new_or_moved_timer_notifies_the_workers_at_the_commit_only(app):
    with app.app_context(), psycopg.connect(PG_URL, autocommit=True) as listener:
        listener.execute("LISTEN cascade_work")
        instance_id = _instance()

        def notified() -> int:
            return len(list(listener.notifies(timeout=0.3)))

        notified()  # whatever the start sent
        _sync(instance_id, {"a": ("late", AT)})
        assert notified() == 1  # new
        _sync(instance_id, {"a": ("late", AT)})
        assert notified() == 0  # unchanged
        _sync(instance_id, {"a": ("late", AT + timedelta(minutes=5))})
        assert notified() == 1  # moved
        _sync(instance_id, {"a": ("late", AT - timedelta(minutes=5)), "b": ("late", AT)}, commit=False)
        assert notified() == 0  # rolled back
        _sync(instance_id, {})
        assert notified() == 0  # only deleted
        assert _rows(instance_id) == {}
