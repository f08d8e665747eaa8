"""A fresh production server, from zero: `flask seed` loads organisations and workflows but no people, `flask
create-admin` makes the first administrator, the server refuses to start over the demo's shared password, and
10 failed logins spread over two gunicorn workers lock the account."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from tests.conftest import free_port, fresh_postgres

ROOT = Path(__file__).resolve().parents[2]
STRONG = "mua thu ha long vang"


def production_env(url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("CASCADE_DEV", "CASCADE_CLOCK_START")}
    return {**env, "CASCADE_DATABASE_URL": url, "CASCADE_SECRET_KEY": "setup-test", "FLASK_APP": "wsgi.py", **extra}


def flask(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    return done


def serve_check(env: dict) -> subprocess.CompletedProcess:
    """What gunicorn does first: import wsgi (the app factory, then the demo-password check)."""
    return subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True)


def test_a_fresh_production_server_has_no_people_until_create_admin(tmp_path):
    env = production_env(f"sqlite:///{tmp_path / 'prod.db'}")
    flask(env, "db", "upgrade")
    assert "users: 0" in flask(env, "seed").stdout
    weak = flask({**env, "CASCADE_ADMIN_PASSWORD": "cascade-demo"}, "create-admin", "quantri", check=False)
    assert weak.returncode != 0 and "not the demo password" in weak.stderr
    made = flask({**env, "CASCADE_ADMIN_PASSWORD": STRONG}, "create-admin", "quantri", "--org", "cp-pgddt")
    assert "administrator quantri" in made.stdout
    assert serve_check(env).returncode == 0
    # a demo seeded into the same database: the server refuses to start, the CLI still works to fix it
    flask(env, "seed", "--demo")
    refused = serve_check(env)
    assert refused.returncode != 0 and "demo password" in refused.stderr
    set_one = flask({**env, "CASCADE_NEW_PASSWORD": STRONG}, "set-password", "admin", "--one-time")
    assert "one-time" in set_one.stdout
    assert "0 token(s) revoked" in flask(env, "revoke-token", "quantri").stdout


@pytest.fixture
def pg_url():
    return fresh_postgres("gunicorn")


def login(base: str, session: requests.Session, password: str) -> requests.Response:
    page = session.get(f"{base}/login", timeout=10).text
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    data = {"username": "quantri", "password": password, "csrf_token": token}
    return session.post(f"{base}/login", data=data, allow_redirects=False, timeout=10)


@pytest.mark.postgres
def test_ten_failed_logins_over_two_gunicorn_workers_lock_the_account(pg_url):
    env = production_env(pg_url)
    flask(env, "db", "upgrade")
    flask(env, "seed")
    flask({**env, "CASCADE_ADMIN_PASSWORD": STRONG}, "create-admin", "quantri")
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if requests.get(f"{base}/login", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        statuses = []
        for _ in range(10):  # a fresh connection each time: gunicorn hands them to either worker
            with requests.Session() as s:
                statuses.append(login(base, s, "wrong password").status_code)
        assert statuses[:5] == [200] * 5 and statuses[5:] == [429] * 5, statuses
        with requests.Session() as s:
            locked = login(base, s, STRONG)
            assert locked.status_code == 429 and "Tài khoản tạm khoá" in locked.text
    finally:
        server.terminate()
        server.wait(10)


def test_every_process_replays_the_demo_clock_from_one_stored_start(tmp_path):
    env = production_env(
        f"sqlite:///{tmp_path / 'demo.db'}", CASCADE_DEV="1", CASCADE_CLOCK_START="2022-07-29T08:00:00+07:00"
    )
    flask(env, "db", "upgrade")
    script = "import wsgi; from engine.core.clock import clock; print(clock.now().isoformat())"

    def now_in_a_new_process() -> datetime:
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
        return datetime.fromisoformat(done.stdout.strip().splitlines()[-1])

    first = now_in_a_new_process()
    time.sleep(2)
    second = now_in_a_new_process()  # a restart: the replay goes on from where it was, never back to 08:00
    assert timedelta(seconds=2) < second - first < timedelta(seconds=30)
