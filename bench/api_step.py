"""Scenario `api`: completing a user task of directive_plan over the HTTP API (Flask's test client, in process:
no socket, no WSGI server), the same step below HTTP (Cascade.complete_task), and the two baselines of the
"close to the limit" target measured in the same run: the bare in-memory SpiffWorkflow step of the same
diagram and one small durable commit on the same database."""

from __future__ import annotations

import json

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.task import TaskState
from sqlalchemy import select

from bench.harness import (
    Client,
    Row,
    Stopwatch,
    actor,
    check,
    durable_commit_probe,
    open_tasks,
    seeded_app,
    stats,
    timed_row,
    token_for,
)

NAME = "api"


def _draft(school_id: int) -> dict:
    return {
        "loai_van_ban": "KH",
        "trich_yeu": "Kế hoạch triển khai mô hình An ninh cơ sở",
        "noi_dung": "I. MỤC ĐÍCH, YÊU CẦU\n…",
        "han_nop": "2022-08-31",
        "noi_nhan": [{"org_id": school_id, "purpose": "thuc_hien"}],
    }


def _round_trip(runtime, spec, subs, wf) -> None:
    """Every row of the state as JSON and back, then rebuilt: what a one-blob store pays on every step."""
    from engine.core.state import Snapshot, StoredState, TaskRow

    changes = runtime.codec.changes(wf, Snapshot())
    text = json.dumps(
        {"parts": changes.parts, "rows": [r.__dict__ for r in changes.rows], "data": changes.data}, default=str
    )
    back = json.loads(text)
    stored = StoredState(back["parts"], [TaskRow(**r) for r in back["rows"]], back["data"])
    runtime.codec.restore(spec, subs, stored, runtime.script_engine)


def bare_steps(n: int, draft: dict) -> tuple[dict[str, Stopwatch], Stopwatch]:
    """`n` bare SpiffWorkflow steps of draft_plan (the library's script engine and Cascade's), same parsed specs,
    nothing persisted; and the full state round trip a one-blob store would pay (inside an app context)."""
    from engine.core.forms import form_fields, validate_form
    from engine.core.runtime import LiveInstance
    from engine.core.state import Snapshot
    from web.deps import cascade, store

    runtime = cascade().runtime
    definition = store().latest_definition("directive_plan")
    spec, subs = runtime.specs(definition)
    valid = {o.id for o in store().orgs()}
    bare: dict[str, Stopwatch] = {"library script engine": Stopwatch(), "Cascade script engine": Stopwatch()}
    blob = Stopwatch()
    for label, watch in bare.items():
        for _ in range(n):
            script_engine = PythonScriptEngine() if label.startswith("library") else runtime.script_engine
            wf = BpmnWorkflow(spec, subs, script_engine=script_engine)
            live = LiveInstance(wf, Snapshot(), definition)
            runtime.start_with_message(live, "implement_directive", {"directive_id": None})
            wf.do_engine_steps()
            task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
            clean = validate_form(form_fields(task.task_spec), draft, context={"valid_org_ids": valid})
            with watch:
                task.set_data(**clean)
                task.run()
                wf.do_engine_steps()
            if label.startswith("Cascade"):
                with blob:
                    _round_trip(runtime, spec, subs, wf)
    return bare, blob


def run(backend: str, quick: bool) -> list[Row]:
    from models import db
    from models.org import Organisation
    from web.deps import cascade, store

    n = 40 if quick else 150
    rows: list[Row] = []
    with seeded_app(backend) as app:
        with app.app_context():
            cttt, deputy = token_for("pgddt.cttt"), token_for("pgddt.pho")
            school_id = db.session.scalars(
                select(Organisation.id).where(Organisation.kind == "school").order_by(Organisation.id)
            ).first()
        draft = _draft(school_id)
        client = Client(app)

        # warm-up: parse and cache the specs, compile the expressions, fill connection pools
        for _ in range(3):
            r = client.post("/api/processes/directive_plan/instances", headers=cttt, json={})
            check(r, 201)
            with app.app_context():
                task = open_tasks("draft_plan", instance_ids=[r.get_json()["id"]])[0]
            check(client.post(f"/api/tasks/{task.id}/complete", headers=cttt, json=draft))

        # 1. over HTTP: start n instances, complete draft_plan in each, then approve_plan in each
        starts, drafts, approvals = Stopwatch(), Stopwatch(), Stopwatch()
        ids = []
        for _ in range(n):
            with starts:
                r = client.post("/api/processes/directive_plan/instances", headers=cttt, json={})
            check(r, 201)
            ids.append(r.get_json()["id"])
        with app.app_context():
            task_ids = [t.id for t in open_tasks("draft_plan", instance_ids=ids)]
        for task_id in task_ids:
            with drafts:
                r = client.post(f"/api/tasks/{task_id}/complete", headers=cttt, json=draft)
            check(r)
        with app.app_context():
            task_ids = [t.id for t in open_tasks("approve_plan", instance_ids=ids)]
        for task_id in task_ids:
            with approvals:
                r = client.post(f"/api/tasks/{task_id}/complete", headers=deputy, json={"quyet_dinh": "approve"})
            check(r)
        rows.append(
            timed_row(NAME, backend, "HTTP POST complete draft_plan", drafts.samples, target="≤ 10 ms", limit=10)
        )
        rows.append(
            timed_row(NAME, backend, "HTTP POST complete approve_plan", approvals.samples, target="≤ 10 ms", limit=10)
        )
        rows.append(timed_row(NAME, backend, "HTTP POST start directive_plan", starts.samples))

        # 2. below HTTP: Cascade.complete_task, a fresh session per call as in a request
        with app.app_context():
            who = actor("pgddt.cttt")
            engine = cascade()
            ids = [engine.start_process(store(), who, "directive_plan") for _ in range(n)]
            task_ids = [t.id for t in open_tasks("draft_plan", instance_ids=ids)]
            persisted = Stopwatch()
            for task_id in task_ids:  # warm: this process started the instance and kept its workflow
                db.session.remove()
                with persisted:
                    engine.complete_task(store(), who, task_id, draft)
            db.session.remove()
            # cold: the state read and rebuilt from its rows (another process took the last step)
            ids = [engine.start_process(store(), who, "directive_plan") for _ in range(n)]
            task_ids = [t.id for t in open_tasks("draft_plan", instance_ids=ids)]
            cold = Stopwatch()
            for task_id in task_ids:
                db.session.remove()
                engine.warm.clear()
                with cold:
                    engine.complete_task(store(), who, task_id, draft)
            db.session.remove()

            # 3. the bare SpiffWorkflow step of the same diagram, same parsed specs, nothing persisted
            bare, blob = bare_steps(n, draft)
        commit = durable_commit_probe(app, n)

    p_med, p_p95 = stats(persisted.samples)
    rows.append(Row(NAME, backend, "Cascade.complete_task draft_plan (no HTTP)", p_med, "ms", p_p95, n))
    c_med, c_p95 = stats(cold.samples)
    rows.append(Row(NAME, backend, "  the same, cold: state read and rebuilt", c_med, "ms", c_p95, n))
    for label, watch in bare.items():
        rows.append(timed_row(NAME, backend, f"bare SpiffWorkflow step, {label}", watch.samples))
    rows.append(timed_row(NAME, backend, "one durable commit (UPDATE 1 row + COMMIT)", commit))
    rows.append(timed_row(NAME, backend, "info: full state dump + JSON round-trip + restore", blob.samples))
    bare_med = stats(bare["library script engine"].samples)[0]
    commit_med = stats(commit)[0]
    gap = p_med - (bare_med + commit_med)
    rows.append(
        Row(NAME, backend, "gap: persisted − (bare + commit), medians", gap, "ms", target="≤ 2 ms", met=gap <= 2)
    )
    rows.append(Row(NAME, backend, "info: the gap when cold", c_med - (bare_med + commit_med), "ms"))
    http_med = stats(drafts.samples)[0]
    rows.append(Row(NAME, backend, "ratio: HTTP / no-HTTP draft_plan", http_med / p_med, "×"))
    return rows
