"""The production server as README starts it, `gunicorn wsgi:app` from the project's root (its settings from
`gunicorn.conf.py`): a client's connection stays open from one request to the next (HTTP keep-alive; gunicorn's
`sync` workers closed it after every answer), and one worker's threads serve concurrent starts and completions
of distinct instances, each completed once, on SQLite and PostgreSQL."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port, fresh_postgres
from tests.e2e.test_reliability import wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
DRAFT = {
    "loai_van_ban": "KH",
    "trich_yeu": "Kế hoạch triển khai",
    "noi_dung": "I. MỤC ĐÍCH, YÊU CẦU",
    "han_nop": "2022-08-31",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request, tmp_path):
    url = fresh_postgres("server") if request.param == "postgres" else f"sqlite:///{tmp_path / 'server.db'}"
    env = {
        **os.environ,
        "CASCADE_DATABASE_URL": url,
        "CASCADE_SECRET_KEY": "server-config-secret",
        "CASCADE_DEV": "1",  # the demo's people
        "FLASK_APP": "wsgi.py",
        "CASCADE_CLOCK_START": "2022-08-03T08:00:00+07:00",
    }
    env.pop("GUNICORN_CMD_ARGS", None)
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed"], cwd=ROOT, env=env, check=True, capture_output=True)
    made = subprocess.run([*flask, "create-token", "pgddt.cttt"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    # one worker, so its threads are what serves the concurrent requests below
    cmd = [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base)
        yield base, port, {"Authorization": f"Bearer {made.stdout.decode().strip()}"}
    finally:
        proc.terminate()
        proc.wait(20)


def test_a_client_connection_stays_open_between_requests(server):
    _, port, token = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/api/me", headers=token)
        first = conn.getresponse()
        assert first.status == 200 and json.loads(first.read())["username"] == "pgddt.cttt"
        sock = conn.sock
        assert sock is not None, "the server closed the connection after its answer"
        for _ in range(3):
            conn.request("GET", "/api/me", headers=token)
            again = conn.getresponse()
            again.read()
            assert again.status == 200 and (again.getheader("Connection") or "").lower() != "close"
            assert conn.sock is sock, "a new connection was opened for the next request"
    finally:
        conn.close()


def test_one_workers_threads_serve_concurrent_steps_each_once(server):
    base, _, token = server
    with requests.Session() as s:
        starts = [s.post(f"{base}/api/processes/directive_plan/instances", headers=token, json={}) for _ in range(8)]
        assert [r.status_code for r in starts] == [201] * 8
        instances = [r.json()["id"] for r in starts]
        tasks = {}
        for instance_id in instances:
            listed = s.get(f"{base}/api/tasks", headers=token, params={"instance": instance_id}).json()["tasks"]
            (draft,) = [t for t in listed if t["bpmn_id"] == "draft_plan"]
            tasks[instance_id] = draft["id"]

    def complete(task_id: int) -> int:
        with requests.Session() as own:  # one connection per client, kept alive
            return own.post(f"{base}/api/tasks/{task_id}/complete", headers=token, json=DRAFT, timeout=60).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(complete, tasks.values()))
    assert codes == [200] * 8
    for instance_id, task_id in tasks.items():
        shown = requests.get(f"{base}/api/instances/{instance_id}", headers=token, timeout=30).json()
        done = [t for t in shown["tasks"] if t["id"] == task_id]
        assert [t["status"] for t in done] == ["completed"]
        assert [e["action"] for e in shown["history"]].count("task.complete") == 1
        assert any(t["bpmn_id"] == "approve_plan" and t["status"] == "open" for t in shown["tasks"])
