"""Scenario `history`: what one step costs in a long-lived instance (bench/workflows/bench_loop.bpmn: one user
task per iteration of a looped sub-process). History is grown in memory with SpiffWorkflow and saved once
through the engine's own save path; then single completions are timed through Cascade.complete_task. At each
size the bare in-memory step and the load path (rows read, rebuild) are timed too, to say where growth is."""

from __future__ import annotations

import time

from SpiffWorkflow.task import TaskState
from sqlalchemy import func, select

from bench.harness import Row, StatementCounter, Stopwatch, actor, deploy_bench_workflow, seeded_app, stats
from engine.core.fold import fold_finished_iterations

NAME = "history"
STEP = {"so": 1, "ghi_chu": "Ghi chú của bước"}


def _ready(live):
    return live.workflow.get_tasks(state=TaskState.READY, manual=True)[0]


def _grow(engine, instance_id: int, steps: int) -> None:
    """Complete `steps` steps in memory, then save the instance once (rows, inbox, summary) and commit."""
    from web.deps import store

    s = store()
    instance = s.lock_instance(instance_id)
    live = engine.load_instance(s, instance)
    for i in range(steps):
        task = _ready(live)
        task.set_data(so=i, ghi_chu=STEP["ghi_chu"])
        task.run()
        live.workflow.do_engine_steps()
        fold_finished_iterations(live.workflow)  # as every persisted step does
    engine.advance_and_save(s, instance, live)
    s.commit()


def _open_task(instance_id: int) -> int:
    from models import db
    from models.workflow import HumanTask

    db.session.rollback()
    return db.session.scalars(
        select(HumanTask.id).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
    ).one()


def run(backend: str, quick: bool) -> list[Row]:
    from models import db
    from models.workflow import WorkflowTaskRow
    from web.deps import cascade, store

    sizes = [1, 10, 100, 1000, 5000]
    reps = 5 if quick else 9
    rows: list[Row] = []
    per_size: dict[int, float] = {}
    with seeded_app(backend) as app:
        deploy_bench_workflow(app, "bench_loop.bpmn")
        with app.app_context():
            who = actor("pgddt.cttt")
            engine = cascade()
            counter = StatementCounter(db.engine)
            # warm-up instance: specs parsed, expressions compiled
            warm = engine.start_process(store(), who, "bench_loop")
            for _ in range(3):
                engine.complete_task(store(), who, _open_task(warm), STEP)

            long_lived = engine.start_process(store(), who, "bench_loop")
            done = 0
            for size in sizes:
                build = time.perf_counter()
                if size < 100:  # one instance per sample so every sample sees exactly `size` completed steps
                    ids = [engine.start_process(store(), who, "bench_loop") for _ in range(reps)]
                    for iid in ids:
                        _grow(engine, iid, size)
                else:
                    _grow(engine, long_lived, size - done)
                    done = size
                    ids = [long_lived] * reps
                build = time.perf_counter() - build

                persisted, loads, rebuilds, bare = Stopwatch(), Stopwatch(), Stopwatch(), Stopwatch()
                statements = []
                for iid in ids:
                    task_id = _open_task(iid)
                    db.session.remove()
                    with counter.counting(), persisted:
                        engine.complete_task(store(), who, task_id, STEP)
                    statements.append(counter.count)
                    db.session.remove()
                done += reps if size >= 100 else 0
                # the read path alone, and the bare step on the rebuilt workflow (never saved)
                for iid in dict.fromkeys(ids):
                    for _ in range(reps if size >= 100 else 1):
                        s = store()
                        definition = s.definition(s.instance(iid).definition_id)
                        with loads:
                            stored = s.load_state(iid)
                        with rebuilds:
                            live = engine.runtime.load(definition, stored)
                        task = _ready(live)
                        with bare:
                            task.set_data(**STEP)
                            task.run()
                            live.workflow.do_engine_steps()
                        db.session.rollback()
                task_rows = db.session.scalar(
                    select(func.count()).select_from(WorkflowTaskRow).where(WorkflowTaskRow.instance_id == ids[-1])
                )
                med, p95 = stats(persisted.samples)
                per_size[size] = med
                label = f"after {size:,} steps"
                rows.append(Row(NAME, backend, f"step {label} (complete_task)", med, "ms", p95, len(persisted.samples)))
                rows.append(Row(NAME, backend, f"  bare SpiffWorkflow step {label}", stats(bare.samples)[0], "ms"))
                rows.append(Row(NAME, backend, f"  load_state (read rows) {label}", stats(loads.samples)[0], "ms"))
                rows.append(Row(NAME, backend, f"  rebuild workflow {label}", stats(rebuilds.samples)[0], "ms"))
                rows.append(Row(NAME, backend, f"  task rows stored {label}", task_rows, "rows"))
                rows.append(Row(NAME, backend, f"  statements per step {label}", max(statements), "stmts"))
                rows.append(Row(NAME, backend, f"  build history to {size:,} (in memory + 1 save)", build, "s"))
            counter.close()
    ratio = per_size[1000] / per_size[10]
    rows.append(Row(NAME, backend, "ratio: step 1,000 / step 10", ratio, "×", target="≤ 1.3×", met=ratio <= 1.3))
    rows.append(Row(NAME, backend, "ratio: step 5,000 / step 10", per_size[5000] / per_size[10], "×"))
    return rows
