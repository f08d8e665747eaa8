"""Under load on PostgreSQL with gunicorn (2 workers) and the timer worker: many clients complete, claim and
release the same tasks at once while a web worker and the timer worker are killed with SIGKILL. Nothing is
completed twice, nothing is lost, no 5xx; losers get a clear 409 (or 403 when someone else claimed it).

Bounded for CI (CASCADE_LOAD_TASKS, default 12 schools × 4 concurrent clients); `docs/reliability.md` has the
larger run."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from tests.conftest import free_port, fresh_postgres

ROOT = Path(__file__).resolve().parents[2]
SCHOOLS = int(os.environ.get("CASCADE_LOAD_TASKS", "12"))
CLIENTS = int(os.environ.get("CASCADE_LOAD_CLIENTS", "4"))
KILLS = int(os.environ.get("CASCADE_LOAD_KILLS", "1"))  # SIGKILLs of web workers at random moments
pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def load_db():
    url = fresh_postgres("load")
    env = {
        **os.environ,
        "CASCADE_DATABASE_URL": url,
        "CASCADE_SECRET_KEY": "load-test-secret",
        "FLASK_APP": "wsgi.py",
        "CASCADE_CLOCK_START": "",
        "CASCADE_DEV": "1",  # the demo's people (shared demo password) serve this test
    }
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed"], cwd=ROOT, env=env, check=True, capture_output=True)
    tokens = {}
    for user in ("pgddt.cttt", "pgddt.pho", "pgddt.vanthu"):
        out = subprocess.run(
            [*flask, "create-token", user], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        tokens[user] = out.stdout.strip()
    return url, env, tokens


@pytest.fixture(scope="module")
def server(load_db):
    url, env, tokens = load_db
    port = free_port()
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "60", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(base)
    yield base, env, tokens, web
    web.terminate()
    web.wait(10)


def wait_until_serving(base: str) -> None:
    """Until a worker answers (gunicorn's master respawns killed workers)."""
    for _ in range(150):
        try:
            if requests.get(f"{base}/login", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base} does not answer")


def api(base, token, method, path, **kw):
    return requests.request(method, f"{base}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30, **kw)


def worker_pids(master: subprocess.Popen) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master.pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_concurrent_completion_with_crashes(server):
    base, env, tokens, master = server
    from web import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": env["CASCADE_DATABASE_URL"], "TESTING": True})
    with app.app_context():
        from models import db
        from models.org import ApiToken, Organisation, User
        from models.workflow import HumanTask, ProcessInstance, Timer

        office = db.session.scalars(select(Organisation).where(Organisation.code == "cp-pgddt")).one()
        schools = db.session.scalars(
            select(Organisation)
            .where(Organisation.parent_id == office.id, Organisation.kind == "school")
            .order_by(Organisation.id)
        ).all()[:SCHOOLS]
        staff_tokens = {}
        for school in schools:
            user = next(
                u for u in db.session.scalars(select(User).where(User.org_id == school.id)) if "staff" in u.roles
            )
            for i in range(2):  # two tabs for the same person, plus a colleague's claims below
                token = f"load-{school.id}-{i}-{random.random()}"
                db.session.add(ApiToken(user_id=user.id, name="load", token_hash=ApiToken.hash(token)))
                staff_tokens.setdefault(school.id, []).append(token)
        db.session.commit()

        # the office issues a plan to these schools, with the deadline already past (so its timer is due)
        yesterday = (date.today() - timedelta(days=1)).isoformat()
        instance_id = api(
            base, tokens["pgddt.cttt"], "POST", "/api/processes/directive_plan/instances", json={}
        ).json()["id"]
        recipients = [{"org_id": s.id, "purpose": "thuc_hien"} for s in schools]
        for bpmn_id, user, data in (
            (
                "draft_plan",
                "pgddt.cttt",
                {"trich_yeu": "KH", "noi_dung": "…", "han_nop": yesterday, "noi_nhan": recipients},
            ),
            ("approve_plan", "pgddt.pho", {"quyet_dinh": "approve"}),
            ("register_plan", "pgddt.vanthu", {"noi_nhan": recipients}),
        ):
            task = db.session.scalars(
                select(HumanTask).where(
                    HumanTask.instance_id == instance_id, HumanTask.bpmn_id == bpmn_id, HumanTask.status == "open"
                )
            ).one()
            assert api(base, tokens[user], "POST", f"/api/tasks/{task.id}/complete", json=data).status_code == 200
        db.session.expire_all()
        tasks = {
            t.instance.org_id: t.id
            for t in db.session.scalars(
                select(HumanTask).where(HumanTask.bpmn_id == "draft_school_plan", HumanTask.status == "open")
            )
        }
        assert len(tasks) == len(schools)

        # the load: every school's task is claimed, released and completed by several clients at once
        statuses, errors = Counter(), []
        killed = threading.Event()

        def hammer(school_id: int, n: int):
            token = staff_tokens[school_id][n % 2]
            task_id = tasks[school_id]
            for action in random.sample(["claim", "unclaim", "complete", "complete", "claim"], 5):
                try:
                    if action == "complete":
                        r = api(
                            base,
                            token,
                            "POST",
                            f"/api/tasks/{task_id}/complete",
                            json={"trich_yeu": f"KH {n}", "noi_dung": "…"},
                        )
                    else:
                        r = api(base, token, "POST", f"/api/tasks/{task_id}/{action}")
                    statuses[r.status_code] += 1
                except requests.RequestException as exc:  # a killed worker drops its connections
                    errors.append(type(exc).__name__)

        load_done, kills = threading.Event(), []

        def killer():
            """KILLS times, at a random moment: one worker, or now and then every worker at once."""
            rng = random.Random()
            time.sleep(0.3)
            while len(kills) < KILLS and not load_done.is_set():
                pids = worker_pids(master)
                if pids:
                    victims = pids if rng.random() < 0.25 else [rng.choice(pids)]
                    for pid in victims:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
                    kills.extend(victims)
                    killed.set()
                load_done.wait(rng.uniform(0.2, 1.5))

        started = time.perf_counter()
        killing = threading.Thread(target=killer)
        killing.start()
        with ThreadPoolExecutor(max_workers=8) as pool:
            for school in schools:
                for n in range(CLIENTS):
                    pool.submit(hammer, school.id, n)
        elapsed = time.perf_counter() - started
        load_done.set()
        killing.join()
        assert killed.is_set()
        wait_until_serving(base)
        assert not any(code >= 500 for code in statuses), statuses
        # finish what the crash interrupted: every task ends completed exactly once
        for school in schools:
            r = api(
                base,
                staff_tokens[school.id][0],
                "POST",
                f"/api/tasks/{tasks[school.id]}/complete",
                json={"trich_yeu": "KH", "noi_dung": "…"},
            )
            assert r.status_code in (200, 409)
        db.session.expire_all()
        for school in schools:
            rows = db.session.scalars(
                select(HumanTask).join(ProcessInstance).where(ProcessInstance.org_id == school.id)
            ).all()
            assert Counter(t.bpmn_id for t in rows) == {"draft_school_plan": 1, "principal_approval": 1}
            assert [t.status for t in rows if t.bpmn_id == "draft_school_plan"] == ["completed"]
            r = api(base, staff_tokens[school.id][0], "GET", f"/api/instances/{rows[0].instance_id}")
            assert r.status_code == 200  # every instance still loads

        # messages between instances: each school's plan was delivered once and filed once, none pending
        from models.workflow import Message

        db.session.expire_all()
        starts = db.session.scalars(select(Message).where(Message.name == "implement_directive")).all()
        assert len(starts) == len(schools) and all(m.status == "delivered" for m in starts)
        per_school = Counter(
            db.session.scalars(select(ProcessInstance.org_id).where(ProcessInstance.process_key == "school_plan"))
        )
        assert per_school == dict.fromkeys((s.id for s in schools), 1)

        # the timer worker: killed while the follow-up deadline is due, restarted; the timer fires once
        flask = [sys.executable, "-m", "flask"]
        worker = subprocess.Popen(
            [*flask, "worker", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        worker = subprocess.Popen(
            [*flask, "worker", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        second = subprocess.Popen(
            [*flask, "worker", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # two workers race
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                db.session.expire_all()
                if db.session.scalar(
                    select(func.count()).select_from(HumanTask).where(HumanTask.bpmn_id == "chase_late")
                ):
                    break
                time.sleep(0.3)
            time.sleep(1.0)
            db.session.expire_all()
            chase = db.session.scalars(select(HumanTask).where(HumanTask.bpmn_id == "chase_late")).all()
            assert len(chase) == 1 and chase[0].instance_id == instance_id
            assert (
                db.session.scalars(select(Timer).where(Timer.instance_id == instance_id, Timer.fired.is_(False))).all()
                == []
            )
        finally:
            for proc in (worker, second):
                proc.terminate()
                proc.wait(10)
        print(
            f"\nload: {len(schools)} tasks × {CLIENTS} clients in {elapsed:.2f} s; statuses {dict(statuses)}; "
            f"web workers killed {len(kills)}; dropped connections (killed workers) {len(errors)}"
        )
