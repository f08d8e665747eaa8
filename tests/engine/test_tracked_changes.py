"""Tracked changes (issue 18): a save looks only at the tasks the step touched (engine/core/touched.py), the fold
is skipped when they cannot have made anything foldable, and the engine's walks are skipped when no task is busy.
Through the store, on each database, random steps over several instances of every shape (parallel and
sequential multi-instance, gateway loop, boundary-timer loop, looped sub-process), some on the warm instance and
some rebuilt from rows: every save is also compared with a full comparison of every task (the codec's `verify`),
every skipped walk and fold is made anyway and must find nothing, and what the database holds after each step is
what a full dump of the live instance holds."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from engine.core.clock import clock
from engine.core.ports import Actor
from engine.core.state import Snapshot
from tests.engine.test_multi_instance_scale import mi_xml

BENCH = Path(__file__).resolve().parents[2] / "bench" / "workflows"
DIAGRAMS = {
    "tracked_mi_p": mi_xml("tracked_mi_p", False),
    "tracked_mi_s": mi_xml("tracked_mi_s", True),
    "bench_gateway_loop": (BENCH / "bench_gateway_loop.bpmn").read_bytes(),
    "bench_event_loop": (BENCH / "bench_event_loop.bpmn").read_bytes(),
    "bench_loop": (BENCH / "bench_loop.bpmn").read_bytes(),
}


def _values(bpmn_id: str, rng: random.Random, i: int) -> dict:
    """A form for each task: the loops go round while `so` >= 0 and end on a negative one (one time in 12)."""
    if bpmn_id == "review":
        return {"kq": f"xong {i}"}
    if bpmn_id == "draft":
        return {"ghi_chu": f"Dự thảo {i}"}
    return {"so": -1 if rng.random() < 1 / 12 else i, "ghi_chu": f"Lần {i}"}


def _stored_equals_full_dump(engine, store, instance_id: int) -> None:
    """The rows in the database are the rows a full dump of the warm live instance makes."""
    instance = store.instance(instance_id)
    if instance.status != "running":
        return
    live = engine.warm.take(instance.id, instance.state_stamp, instance.definition_id)
    assert live is not None, "the step's instance is kept warm"
    try:
        full = engine.runtime.codec.changes(live.workflow, Snapshot())
        stored = store.load_state(instance_id)
        assert {r.guid: (r.props, r.data_hash) for r in full.rows} == {
            r.guid: (r.props, r.data_hash) for r in stored.rows
        }
        assert full.parts == stored.parts
    finally:
        engine.warm.put(instance.id, instance.state_stamp, live)


@pytest.mark.parametrize("seed", [18, 1800])
def test_random_steps_save_what_a_full_comparison_saves(app, seed):
    from models import db
    from models.workflow import HumanTask, ProcessDefinition
    from seed import data
    from tests.conftest import reset_dynamic
    from tests.support.walk import user
    from web.deps import actor_for, cascade, store

    rng = random.Random(seed)
    with app.app_context():
        engine = cascade()
        codec = engine.runtime.codec
        for key, xml in DIAGRAMS.items():
            engine.deploy(store(), Actor.system(), xml, source=f"{key}.bpmn", known_roles=set(data.ROLES))
        db.session.commit()
        codec.verify = True
        try:
            who = actor_for(user("pgddt.cttt"))
            schools = [f"Trường {i:02d}" for i in range(25)]

            def start(key: str) -> int:
                return engine.start_process(store(), who, key, {"truong": schools} if "_mi_" in key else {})

            instances = {key: start(key) for key in DIAGRAMS}  # one running instance of each shape
            db.session.remove()
            completions = ended = 0
            for i in range(160):
                if rng.random() < 0.25:
                    engine.warm.clear()  # the next step rebuilds its instance from rows
                if rng.random() < 0.1:
                    clock.advance(timedelta(days=4))  # the event loop's review is late: its timer sends it back
                    engine.fire_due_timers(store())
                    db.session.remove()
                    continue
                key = rng.choice(list(instances))
                open_tasks = db.session.scalars(
                    select(HumanTask).where(HumanTask.instance_id == instances[key], HumanTask.status == "open")
                ).all()
                task = rng.choice(open_tasks)
                values = _values(task.bpmn_id, rng, i)
                db.session.remove()
                engine.complete_task(store(), who, task.id, values)
                db.session.remove()
                completions += 1
                _stored_equals_full_dump(engine, store(), instances[key])
                if store().instance(instances[key]).status != "running":
                    ended += 1
                    instances[key] = start(key)
                db.session.remove()
            assert completions > 120 and ended >= 3
        finally:
            codec.verify = False
            db.session.rollback()
            reset_dynamic()
            db.session.execute(delete(ProcessDefinition).where(ProcessDefinition.process_key.in_(list(DIAGRAMS))))
            db.session.commit()
