"""Scenario `mi` (issue 18): a multi-instance user task over a collection of N items (bench/workflows/bench_mi.bpmn,
the standard loopDataInputRef/inputDataItem form), parallel and sequential, N = 10, 100, 500. Measured below HTTP
(`Cascade.complete_task`, a fresh session per call as in a request, the instance warm as in one server process),
the engine's CPU alone (no database: `Runtime.advance` and `StateCodec.changes`; the same for both databases)
and over HTTP against a real server (gunicorn, one worker, the JSON API with a bearer token): the start until N
tasks wait, one completion (median, p90) and all N completions. A flat cost means the N = 500 figure stays
close to the N = 10 one."""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlsplit

from bench.harness import PG_URL, Row, Stopwatch, actor, deploy_bench_workflow, open_tasks, percentile, seeded_app

NAME = "mi"
DATABASES = ("sqlite", "postgres")
KINDS = {"parallel": "p", "sequential": "s"}  # bench_mi_p500: parallel over 500 schools
TARGET_ONE, TARGET_ALL, TARGET_START = 10.0, 5.0, 100.0  # ms per completion at N=500, s for all 500, ms to start


def _in_process(app, kind: str, n: int) -> tuple[float, list[float], float, list[float]]:
    """(start ms, completion ms samples, all completions s, completion CPU ms samples of this process: the engine
    and the store's client side, SQLite itself too; not PostgreSQL's server) through Cascade, no HTTP."""
    process = f"bench_mi_{kind}{n}"
    from models import db
    from web.deps import cascade, store

    with app.app_context():
        engine, who = cascade(), actor("pgddt.cttt")
        engine.start_process(store(), who, process)  # warm-up: the diagram parsed, its expressions compiled
        db.session.remove()
        t = time.perf_counter()
        instance_id = engine.start_process(store(), who, process)
        start_ms = (time.perf_counter() - t) * 1000
        db.session.remove()
        sw, cpu = Stopwatch(), []
        done = 0
        while True:
            waiting = [task.id for task in open_tasks(f"{process}_review", instance_ids=[instance_id])]
            db.session.remove()
            if not waiting:
                break
            for task_id in waiting:
                t = time.process_time()
                with sw:
                    engine.complete_task(store(), who, task_id, {"kq": f"xong {task_id}"})
                cpu.append((time.process_time() - t) * 1000)
                db.session.remove()
                done += 1
        if done != n:
            raise RuntimeError(f"{process}: {done} completions for {n} items")
        _check_outputs(app, instance_id, n)
    return start_ms, sw.samples, sum(sw.samples) / 1000, cpu


def _cpu_rows(backend: str, kind: str, cpu: dict[int, list[float]]) -> list[Row]:
    """The bench process's CPU per completion in process: less swayed by other processes than the wall time."""
    rows, small = [], percentile(cpu[min(cpu)], 0.5)
    for n, samples in cpu.items():
        med = percentile(samples, 0.5)
        label = f"in process CPU (this process) {kind} N={n}"
        rows.append(
            Row(
                NAME,
                backend,
                f"{label}: complete one (median; p95 col = p90)",
                med,
                "ms",
                percentile(samples, 0.9),
                len(samples),
            )
        )
        if n != min(cpu):
            rows.append(Row(NAME, backend, f"{label}: ratio median N={n} / N={min(cpu)}", med / small, "×"))
    return rows


def _engine_alone(kind: str, n: int) -> tuple[float, list[float], float]:
    """(start ms, completion ms samples, all completions s) of the engine's CPU alone, no database: Runtime.advance
    and StateCodec.changes (what a step computes before the store writes it), each completion on the middle one of
    the open tasks; process CPU time, so other processes on the host weigh less on it."""
    from bench.harness import BENCH_DIR
    from engine.core.ports import DefinitionRecord
    from engine.core.runtime import Runtime

    xml = (BENCH_DIR / "workflows" / "bench_mi.bpmn").read_bytes()
    runtime, definition = Runtime(), DefinitionRecord(1, f"bench_mi_{kind}{n}", 1, "mi", xml, [], {})
    t = time.process_time()
    live = runtime.new(definition)
    result = runtime.advance(live, lambda call: {})
    runtime.codec.changes(live.workflow, live.snapshot)
    start_ms, samples = (time.process_time() - t) * 1000, []
    while result.ready:
        item = result.ready[len(result.ready) // 2]
        t = time.process_time()
        task = live.task(item.guid)
        task.set_data(kq=f"xong {item.guid[:8]}")
        task.run()
        result = runtime.advance(live, lambda call: {})
        runtime.codec.changes(live.workflow, live.snapshot)
        samples.append((time.process_time() - t) * 1000)
    if len(live.workflow.data.get("ket_qua") or []) != n:
        raise RuntimeError(f"engine alone {kind}{n}: outputs missing")
    return start_ms, samples, sum(samples) / 1000


def _check_outputs(app, instance_id: int, n: int) -> None:
    """The instance completed with one output per item, collected into `ket_qua`."""
    from models import db
    from web.deps import cascade, store

    db.session.rollback()
    instance = store().instance(instance_id)
    live = cascade().load_instance(store(), instance)
    outputs = live.workflow.data.get("ket_qua") or []
    if instance.status != "completed" or len(outputs) != n:
        raise RuntimeError(f"instance {instance_id}: {instance.status}, {len(outputs)} outputs for {n} items")


class _Http:
    """One keep-alive connection to the server, JSON in and out, with a bearer token."""

    def __init__(self, base: str, token: dict):
        url = urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        self.headers = {**token, "Content-Type": "application/json"}

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        self.conn.request("POST", path, json.dumps(body), self.headers)
        r = self.conn.getresponse()
        return r.status, json.loads(r.read() or b"{}")

    def close(self) -> None:
        self.conn.close()


def _over_http(app, server, token: dict, kind: str, n: int) -> tuple[float, list[float], float]:
    """(start ms, completion ms samples, all completions s) through the API of a gunicorn server."""
    process = f"bench_mi_{kind}{n}"
    client = _Http(server.base, token)
    try:
        client.post(f"/api/processes/{process}/instances", {})  # warm-up: the server parses the diagram
        t = time.perf_counter()
        status, body = client.post(f"/api/processes/{process}/instances", {})
        start_ms = (time.perf_counter() - t) * 1000
        if status != 201:
            raise RuntimeError(f"start: HTTP {status} {body}")
        instance_id = body["id"]
        sw = Stopwatch()
        done = 0
        while True:
            with app.app_context():
                waiting = [task.id for task in open_tasks(f"{process}_review", instance_ids=[instance_id])]
            if not waiting:
                break
            for task_id in waiting:
                with sw:
                    status, body = client.post(f"/api/tasks/{task_id}/complete", {"kq": f"xong {task_id}"})
                if status != 200:
                    raise RuntimeError(f"complete: HTTP {status} {body}")
                done += 1
        if done != n:
            raise RuntimeError(f"{process}: {done} completions for {n} items over HTTP")
    finally:
        client.close()
    return start_ms, sw.samples, sum(sw.samples) / 1000


def _unlimited() -> None:
    """The bench's tokens out of the API rate limit (600 requests a minute by default)."""
    from sqlalchemy import update

    from models import db
    from models.org import ApiToken

    db.session.execute(update(ApiToken).where(ApiToken.name == "bench").values(rate_limit=10**9))
    db.session.commit()


def _rows(
    backend: str, how: str, kind: str, figures: dict[int, tuple[float, list[float], float]], targets: bool = True
) -> list[Row]:
    rows = []
    small = percentile(figures[min(figures)][1], 0.5)
    for n, (start_ms, samples, total) in figures.items():
        med, p90 = percentile(samples, 0.5), percentile(samples, 0.9)
        big = targets and n == max(figures) and n >= 500
        label = f"{how} {kind} N={n}"
        rows.append(
            Row(
                NAME,
                backend,
                f"{label}: complete one (median; p95 col = p90)",
                med,
                "ms",
                p90,
                len(samples),
                target=f"≤ {TARGET_ONE:g} ms" if big else "",
                met=med <= TARGET_ONE if big else None,
            )
        )
        rows.append(
            Row(
                NAME,
                backend,
                f"{label}: all {n} completions",
                total,
                "s",
                target=f"≤ {TARGET_ALL:g} s" if big else "",
                met=total <= TARGET_ALL if big else None,
            )
        )
        rows.append(
            Row(
                NAME,
                backend,
                f"{label}: start to {n} waiting" if kind == "parallel" else f"{label}: start",
                start_ms,
                "ms",
                target=f"≤ {TARGET_START:g} ms" if big else "",
                met=start_ms <= TARGET_START if big else None,
            )
        )
        if n != min(figures):
            rows.append(Row(NAME, backend, f"{label}: ratio median N={n} / N={min(figures)}", med / small, "×"))
    return rows


def run(backend: str, quick: bool) -> list[Row]:
    from bench.throughput import gunicorn

    sizes = (10, 100, 200) if quick else (10, 100, 500)
    rows: list[Row] = []
    for kind, k in KINDS.items():  # no database: the same on both (once per run)
        _engine_alone(k, 5)
        figures = {n: _engine_alone(k, n) for n in sizes}
        rows += _rows(backend, "engine alone (CPU, no db)", kind, figures, targets=False)
    with seeded_app(backend) as app:
        deploy_bench_workflow(app, "bench_mi.bpmn")
        for kind, k in KINDS.items():
            _in_process(app, k, 5)  # warm-up: the statements, the caches
            results = {n: _in_process(app, k, n) for n in sizes}
            rows += _rows(backend, "in process", kind, {n: r[:3] for n, r in results.items()})
            rows += _cpu_rows(backend, kind, {n: r[3] for n, r in results.items()})
        url = PG_URL if backend == "postgres" else app.config["SQLALCHEMY_DATABASE_URI"]
        from bench.harness import token_for

        with app.app_context():
            token = token_for("pgddt.cttt")
            _unlimited()
        try:
            with gunicorn(1, url) as server:
                for kind, k in KINDS.items():
                    _over_http(app, server, token, k, 5)  # warm-up in the server process
                    figures = {n: _over_http(app, server, token, k, n) for n in sizes}
                    rows += _rows(backend, "HTTP", kind, figures)
        except RuntimeError as exc:  # keep the in-process figures when the server cannot run
            rows.append(Row(NAME, backend, f"HTTP FAILED: {str(exc)[:100]}", float("nan"), ""))
    return rows
