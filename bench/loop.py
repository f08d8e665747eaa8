"""Scenario `loop` (issue 18): a long-lived instance goes round a loop 1,000 times, completed over a real server
(gunicorn, one worker; the standard library's HTTP client, an API token), for three loop shapes: a user task sent
back by an exclusive gateway (bench_gateway_loop.bpmn), a draft sent back by its review's interrupting boundary
timer or by a gateway (bench_event_loop.bpmn: the round's two completions), and a looped sub-process
(bench_loop.bpmn). A round's time is its completions' time (POST only; the next task's id is read from the
database between requests, untimed). Targets: rounds 991–1,000 within 1.1× rounds 1–10, p99 within 2× the
median, and the instance's stored rows bounded. On a shared machine ten samples are noisy, so the rows also give
the medians of rounds 1–100 and of the last 100, and the worker's CPU time per round over those windows (from
/proc, which other processes' load hardly moves)."""

from __future__ import annotations

import http.client
import json
import logging
import os
import statistics
import time
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from bench.harness import (
    PG_URL,
    Row,
    actor,
    deploy_bench_workflow,
    open_tasks,
    percentile,
    seeded_app,
    timed_row,
    token_for,
)
from bench.throughput import gunicorn

NAME = "loop"
DATABASES = ("sqlite", "postgres")
SHAPES = (  # label, diagram, process key, the round's steps (BPMN id, form)
    ("gateway", "bench_gateway_loop.bpmn", "bench_gateway_loop", (("step", {"so": 1, "ghi_chu": "Sửa lại"}),)),
    (
        "event",
        "bench_event_loop.bpmn",
        "bench_event_loop",
        (("draft", {"ghi_chu": "Dự thảo"}), ("step", {"so": 1, "ghi_chu": "Sửa lại"})),
    ),
    ("sub-process", "bench_loop.bpmn", "bench_loop", (("step", {"so": 1, "ghi_chu": "Sửa lại"}),)),
)


def _stored_rows(instance_id: int) -> int:
    from models import db
    from models.workflow import WorkflowPart, WorkflowTaskRow

    tasks = select(func.count()).select_from(WorkflowTaskRow).where(WorkflowTaskRow.instance_id == instance_id)
    parts = select(func.count()).select_from(WorkflowPart).where(WorkflowPart.instance_id == instance_id)
    return db.session.scalar(tasks) + db.session.scalar(parts)


def _cpu_ms(pids: list[int]) -> float:
    """CPU time (user + system) the processes have used so far, in milliseconds."""
    ticks = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


class RoundFailed(RuntimeError):
    """A completion did not answer 200: the round it happened in and the answer."""


def _rounds(app, server, token: str, instance_id: int, steps, rounds: int, out: list, cpu: list) -> None:
    """Appends each round's milliseconds (its completions over HTTP) to `out` and the worker's CPU milliseconds
    used so far at the end of the round to `cpu`; raises RoundFailed on an answer other than 200."""
    workers = server.workers()
    parts = urlsplit(server.base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    headers = {"Authorization": token, "Content-Type": "application/json"}
    try:
        with app.app_context():
            for _ in range(rounds):
                spent = 0.0
                for bpmn_id, form in steps:
                    (task,) = open_tasks(bpmn_id, instance_ids=[instance_id])
                    body = json.dumps(form).encode()
                    started = time.perf_counter()
                    conn.request("POST", f"/api/tasks/{task.id}/complete", body=body, headers=headers)
                    response = conn.getresponse()
                    text = response.read()
                    spent += (time.perf_counter() - started) * 1000
                    if response.status != 200:
                        raise RoundFailed(f"round {len(out) + 1}: {bpmn_id}: HTTP {response.status} {text[:80]!r}")
                out.append(spent)
                cpu.append(_cpu_ms(workers))
    finally:
        conn.close()


def _shape(app, server, backend: str, token: str, label: str, iid: int, steps, rounds: int) -> list[Row]:
    from models import db

    cpu0: list[float] = []
    _rounds(app, server, token, iid, steps, 1, [], cpu0)  # warm-up: the worker parses the specs
    samples: list[float] = []
    cpu: list[float] = []
    rows = []
    try:
        _rounds(app, server, token, iid, steps, rounds, samples, cpu)
    except RoundFailed as failed:
        rows.append(Row(NAME, backend, f"{label}: FAILED at {failed}", len(samples) + 1, "round"))
    done = len(samples)
    if done < 20:
        return rows
    window = max(10, done // 10)
    first, last = samples[:10], samples[-10:]
    ratio = statistics.median(last) / statistics.median(first)
    spread = percentile(samples, 0.99) / statistics.median(samples)
    n = f"{done:,}"
    rows.append(timed_row(NAME, backend, f"{label}: rounds 1–10 (POST complete)", first))
    rows.append(timed_row(NAME, backend, f"{label}: rounds {done - 9:,}–{n}", last))
    rows.append(Row(NAME, backend, f"{label}: ratio last 10 / first 10", ratio, "×", target="≤ 1.1×", met=ratio <= 1.1))
    rows.append(Row(NAME, backend, f"{label}: p99 / median", spread, "×", target="≤ 2×", met=spread <= 2))
    early, late = samples[:window], samples[-window:]
    rows.append(timed_row(NAME, backend, f"  {label}: rounds 1–{window:,}", early))
    rows.append(timed_row(NAME, backend, f"  {label}: rounds {done - window + 1:,}–{n}", late))
    rows.append(
        Row(NAME, backend, f"  {label}: ratio of those", statistics.median(late) / statistics.median(early), "×")
    )
    cpu_early = (cpu[window - 1] - cpu0[0]) / window
    cpu_late = (cpu[-1] - cpu[-window - 1]) / window
    rows.append(Row(NAME, backend, f"  {label}: worker CPU per round, rounds 1–{window:,}", cpu_early))
    rows.append(Row(NAME, backend, f"  {label}: worker CPU per round, last {window:,}", cpu_late))
    rows.append(Row(NAME, backend, f"  {label}: ratio of those", cpu_late / cpu_early, "×"))
    with app.app_context():
        rows.append(
            Row(NAME, backend, f"{label}: stored rows after {n} rounds (+1 warm-up)", _stored_rows(iid), "rows")
        )
        db.session.remove()
    return rows


def run(backend: str, quick: bool) -> list[Row]:
    from models import db
    from models.org import ApiToken
    from web.deps import cascade, store

    logging.disable(logging.WARNING)
    rounds = int(os.environ.get("CASCADE_BENCH_LOOP_ROUNDS", 200 if quick else 1000))
    wanted = os.environ.get("CASCADE_BENCH_LOOP_SHAPES")  # e.g. "event": only those shapes (comma-separated)
    shapes = [s for s in SHAPES if not wanted or s[0] in wanted.split(",")]
    rows: list[Row] = []
    with seeded_app(backend) as app:
        for _, diagram, _, _ in shapes:
            deploy_bench_workflow(app, diagram)
        with app.app_context():
            who = actor("pgddt.cttt")
            token = token_for("pgddt.cttt")["Authorization"]
            # thousands of requests a minute from one token: above the API's default rate limit
            db.session.execute(update(ApiToken).where(ApiToken.name == "bench").values(rate_limit=1_000_000))
            db.session.commit()
            instances = {key: cascade().start_process(store(), who, key) for _, _, key, _ in shapes}
            url = PG_URL if backend == "postgres" else db.engine.url.render_as_string(hide_password=False)
            db.session.remove()
            db.engine.dispose()  # the server gets the connections
        with gunicorn(1, url) as server:
            for label, _, key, steps in shapes:
                rows += _shape(app, server, backend, token, label, instances[key], steps, rounds)
    return rows
