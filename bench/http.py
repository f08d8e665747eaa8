"""Scenario `http`: a task completion and an instance start through a real server (issue 18): `gunicorn -w 1
wsgi:app` on a local socket, the client in this process (another process than the server), on SQLite and on
PostgreSQL; and, measured in the same run as `api` does, the two baselines of the "close to the limit" target:
the bare in-memory SpiffWorkflow step of the same diagram and one small durable commit on the same database.

What is timed, one request after another on one keep-alive connection:
- start: `POST /api/processes/directive_plan/instances` (Đặng Thu Trang starts a directive's plan);
- warm completion: `POST /api/tasks/<id>/complete` of the draft_plan of an instance that worker started
  (its workflow kept in the worker's warm cache);
- cold completion: the same of an instance started by another process (this one, before the server ran): the
  worker reads its state rows and rebuilds the workflow.
Every answer must be 201/200; afterwards the database must show each draft completed, by her, once."""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlsplit

from sqlalchemy import func, select

from bench.api_step import _draft, bare_steps
from bench.harness import PG_URL, Row, actor, durable_commit_probe, open_tasks, seeded_app, stats, timed_row, token_for
from bench.server import gunicorn
from bench.throughput import TICK, _cpu_ticks

NAME = "http"
TARGET_COMPLETE, TARGET_START, TARGET_GAP_WARM, TARGET_GAP_COLD = 5.0, 6.0, 1.0, 2.0  # ms, medians


class Caller:
    """One keep-alive connection of the standard library's HTTP client, with a bearer token."""

    def __init__(self, base: str, token: str) -> None:
        parts = urlsplit(base)
        self._conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self._headers = {"Authorization": token, "Content-Type": "application/json"}

    def post(self, path: str, body: dict, expect: int) -> tuple[float, dict]:
        data = json.dumps(body).encode()
        t = time.perf_counter()
        self._conn.request("POST", path, body=data, headers=self._headers)
        response = self._conn.getresponse()
        raw = response.read()
        ms = (time.perf_counter() - t) * 1000
        if response.status != expect:
            raise RuntimeError(f"POST {path}: HTTP {response.status}: {raw[:300]!r}")
        return ms, json.loads(raw)

    def close(self) -> None:
        self._conn.close()


def _worker_cpu(server) -> float:
    """CPU seconds (user + system) the server's workers have used so far (10 ms ticks)."""
    return sum(_cpu_ticks(pid) for pid in server.workers()) / TICK


def _draft_tasks(app, instance_ids: list[int]) -> list[int]:
    with app.app_context():
        ids = [t.id for t in open_tasks("draft_plan", instance_ids=instance_ids)]
        from models import db

        db.session.remove()
    if len(ids) != len(instance_ids):
        raise RuntimeError(f"{len(ids)} open drafts for {len(instance_ids)} instances")
    return ids


def _completed_once(app, task_ids: list[int], user_id: int) -> int:
    """How many of these tasks the database shows completed by that user, with one task.complete audit row."""
    from models import db
    from models.workflow import AuditEvent, HumanTask

    with app.app_context():
        done = db.session.scalar(
            select(func.count()).where(
                HumanTask.id.in_(task_ids), HumanTask.status == "completed", HumanTask.completed_by_id == user_id
            )
        )
        instances = select(HumanTask.instance_id).where(HumanTask.id.in_(task_ids))
        audits = db.session.scalar(
            select(func.count()).where(AuditEvent.instance_id.in_(instances), AuditEvent.action == "task.complete")
        )
        db.session.remove()
    return done if audits == len(task_ids) else -1


def run(backend: str, quick: bool) -> list[Row]:
    import logging

    from models import db
    from models.org import Organisation
    from web.deps import cascade, store

    logging.disable(logging.WARNING)
    n = 40 if quick else 150
    rows: list[Row] = []
    with seeded_app(backend) as app:
        with app.app_context():
            token = token_for("pgddt.cttt")["Authorization"]
            who = actor("pgddt.cttt")
            school_id = db.session.scalars(
                select(Organisation.id).where(Organisation.kind == "school").order_by(Organisation.id)
            ).first()
            draft = _draft(school_id)
            # cold: started here, so no server worker has their workflows in memory
            cold_instances = [cascade().start_process(store(), who, "directive_plan") for _ in range(n)]
            db.session.remove()
            bare, _ = bare_steps(n, draft)  # the baselines, in this run, before the server takes the CPU
            db.session.remove()
        commit = durable_commit_probe(app, n)
        cold_tasks = _draft_tasks(app, cold_instances)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # the server gets the database; this process holds no connection meanwhile
        url = PG_URL if backend == "postgres" else app.config["SQLALCHEMY_DATABASE_URI"]
        with gunicorn(1, url) as server:
            caller = Caller(server.base, token)
            try:
                for _ in range(5):  # warm-up: the worker parses the specs, compiles, opens its connection
                    _, body = caller.post("/api/processes/directive_plan/instances", {}, 201)
                    (task_id,) = _draft_tasks(app, [body["id"]])
                    caller.post(f"/api/tasks/{task_id}/complete", draft, 200)
                starts, warm_instances = [], []
                cpu = {"start": -_worker_cpu(server)}
                for _ in range(n):
                    ms, body = caller.post("/api/processes/directive_plan/instances", {}, 201)
                    starts.append(ms)
                    warm_instances.append(body["id"])
                cpu["start"] += _worker_cpu(server)
                warm_tasks = _draft_tasks(app, warm_instances)
                cpu["warm"] = -_worker_cpu(server)
                warm = [caller.post(f"/api/tasks/{t}/complete", draft, 200)[0] for t in warm_tasks]
                cpu["warm"] += _worker_cpu(server)
                cpu["cold"] = -_worker_cpu(server)
                cold = [caller.post(f"/api/tasks/{t}/complete", draft, 200)[0] for t in cold_tasks]
                cpu["cold"] += _worker_cpu(server)
            finally:
                caller.close()
        once = _completed_once(app, warm_tasks + cold_tasks, who.user_id)

    def target(metric: str, samples: list[float], limit: float) -> Row:
        row = timed_row(NAME, backend, metric, samples, target=f"≤ {limit:g} ms", limit=limit)
        rows.append(row)
        rows.append(Row(NAME, backend, "  ratio: median / target", row.value / limit, "×"))
        return row

    warm_row = target("gunicorn -w 1, socket: POST complete draft_plan, warm", warm, TARGET_COMPLETE)
    cold_row = target("  the same, cold (instance not in the worker's warm cache)", cold, TARGET_COMPLETE)
    target("gunicorn -w 1, socket: POST start directive_plan", starts, TARGET_START)
    for label in ("warm", "cold", "start"):  # what the host's load inflates least: the server's own CPU
        rows.append(Row(NAME, backend, f"  server worker CPU per request, {label}", cpu[label] * 1000 / n, "ms"))
    bare_med = stats(bare["library script engine"].samples)[0]
    commit_med = stats(commit)[0]
    rows.append(
        timed_row(
            NAME,
            backend,
            "baseline: bare SpiffWorkflow step (library script engine)",
            bare["library script engine"].samples,
        )
    )
    rows.append(timed_row(NAME, backend, "baseline: one durable commit (UPDATE 1 row + COMMIT)", commit))
    for label, med, limit in (("warm", warm_row.value, TARGET_GAP_WARM), ("cold", cold_row.value, TARGET_GAP_COLD)):
        gap = med - (bare_med + commit_med)
        rows.append(
            Row(
                NAME,
                backend,
                f"gap, {label}: complete − (bare + commit), medians",
                gap,
                "ms",
                target=f"≤ {limit:g} ms",
                met=gap <= limit,
            )
        )
        rows.append(Row(NAME, backend, "  ratio: gap / target", gap / limit, "×"))
    total = len(warm_tasks) + len(cold_tasks)
    rows.append(
        Row(
            NAME,
            backend,
            "drafts completed once, by her, one audit row each",
            once,
            "tasks",
            target=str(total),
            met=once == total,
        )
    )
    return rows
