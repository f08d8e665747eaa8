"""Warm instances (engine.core.warm): a workflow kept in memory after its step committed is used for the next step
only while the state stamp it was saved with is still the stored one; it equals what a cold load rebuilds; a
step that fails leaves nothing in memory."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import Cascade, create_engine
from engine.core.errors import TaskAlreadyCompletedError
from engine.core.state import Snapshot
from models import db
from models.store import SqlStore
from models.workflow import ProcessInstance
from tests.support.walk import open_task, org, user
from web.deps import actor_for, cascade, store


def draft_form(app) -> dict:
    school = org("cp-s-thcs-suoi-khoang")
    return {
        "loai_van_ban": "KH",
        "trich_yeu": "Kế hoạch triển khai mô hình An ninh cơ sở",
        "noi_dung": "I. MỤC ĐÍCH, YÊU CẦU\n…",
        "han_nop": "2022-08-31",
        "noi_nhan": [{"org_id": school.id, "purpose": "thuc_hien"}],
    }


def full_rows(engine: Cascade, workflow) -> dict:
    """Every stored row of a workflow as the codec would write it from scratch: guid -> (part, props, data)."""
    changes = engine.runtime.codec.changes(workflow, Snapshot())
    return {r.guid: (r.part_key, r.props, r.data_hash) for r in changes.rows} | {
        f"part:{k}": v for k, v in changes.parts.items()
    }


def cold_rows(engine: Cascade, instance_id: int) -> dict:
    s = SqlStore()
    instance = s.instance(instance_id)
    live = engine.runtime.load(s.definition(instance.definition_id), s.load_state(instance_id))
    return full_rows(engine, live.workflow)


def started_warm():
    """The app's engine with an empty cache, and a directive_plan the CTTT specialist has just started."""
    engine = cascade()
    engine.warm.clear()
    cttt = actor_for(user("pgddt.cttt"))
    return engine, cttt, engine.start_process(store(), cttt, "directive_plan")


def test_a_warm_step_skips_reading_the_state_and_leaves_what_a_cold_load_rebuilds(app, monkeypatch):
    with app.app_context():
        engine, cttt, instance_id = started_warm()
        assert instance_id in engine.warm.entries()
        stamp = db.session.get(ProcessInstance, instance_id).state_stamp
        assert stamp is not None and engine.warm.entries()[instance_id] == stamp

        def no_reads(self, instance_id):  # a warm step must not read the state back
            raise AssertionError("state read on a warm instance")

        hits = engine.warm.hits
        with monkeypatch.context() as m:
            m.setattr(SqlStore, "load_state", no_reads)
            task = open_task("draft_plan", instance_id=instance_id)
            engine.complete_task(store(), cttt, task.id, draft_form(app))
        assert engine.warm.hits == hits + 1
        db.session.expire_all()
        new_stamp = db.session.get(ProcessInstance, instance_id).state_stamp
        assert new_stamp not in (None, stamp)
        assert engine.warm.entries()[instance_id] == new_stamp

        # what stays in memory is exactly what the rows hold
        warm_live = engine.warm.take(instance_id, new_stamp, db.session.get(ProcessInstance, instance_id).definition_id)
        assert warm_live is not None
        assert full_rows(engine, warm_live.workflow) == cold_rows(engine, instance_id)
        assert open_task("approve_plan", instance_id=instance_id)


def test_a_workflow_another_process_has_moved_on_is_not_used(app):
    """Two engines on one database stand for two worker processes."""
    with app.app_context():
        first, second = create_engine(warm_instances=16), create_engine(warm_instances=16)
        cttt, deputy = actor_for(user("pgddt.cttt")), actor_for(user("pgddt.pho"))
        instance_id = first.start_process(store(), cttt, "directive_plan")  # warm in the first
        draft = open_task("draft_plan", instance_id=instance_id)
        second.complete_task(store(), cttt, draft.id, draft_form(app))  # the second moves it on
        assert second.warm.misses == 1 and second.warm.hits == 0

        # the first still holds the workflow from before the draft: its stamp no longer matches, so it reloads
        approve = open_task("approve_plan", instance_id=instance_id)
        first.complete_task(store(), deputy, approve.id, {"quyet_dinh": "approve"})
        assert first.warm.misses == 1 and first.warm.hits == 0
        assert open_task("register_plan", instance_id=instance_id)


def test_a_step_that_fails_leaves_no_workflow_in_memory(app, monkeypatch):
    with app.app_context():
        engine, cttt, instance_id = started_warm()
        task = open_task("draft_plan", instance_id=instance_id)

        def commit_fails(self):
            raise RuntimeError("the database went away at commit")

        with monkeypatch.context() as m:
            m.setattr(SqlStore, "commit", commit_fails)
            with pytest.raises(RuntimeError):
                engine.complete_task(store(), cttt, task.id, draft_form(app))
        db.session.rollback()
        # the taken workflow had run the task; it is gone, so the retry rebuilds the state from the rows
        assert instance_id not in engine.warm.entries()
        assert open_task("draft_plan", instance_id=instance_id).id == task.id
        engine.complete_task(store(), cttt, task.id, draft_form(app))
        assert open_task("approve_plan", instance_id=instance_id)
        with pytest.raises(TaskAlreadyCompletedError):
            engine.complete_task(store(), cttt, task.id, draft_form(app))


def test_the_cache_keeps_the_most_recently_used_instances_only(app):
    with app.app_context():
        engine = create_engine(warm_instances=2)
        cttt = actor_for(user("pgddt.cttt"))
        ids = [engine.start_process(store(), cttt, "directive_plan") for _ in range(3)]
        assert list(engine.warm.entries()) == ids[1:]
        off = create_engine(warm_instances=0)
        off.start_process(store(), cttt, "directive_plan")
        assert off.warm.entries() == {}
        stamps = db.session.scalars(select(ProcessInstance.state_stamp).where(ProcessInstance.id.in_(ids))).all()
        assert len(set(stamps)) == 3 and None not in stamps
