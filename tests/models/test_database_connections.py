"""PostgreSQL connections that die while pooled (a server restart, a killed backend): an idle connection is
pinged before use and replaced; one in steady use fails at most the request that meets it, then the pool
starts over. Without a ping on every request (`pool_pre_ping` costs a round trip each time)."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from models import db
from tests.conftest import PG_ADMIN_URL, PG_URL, IsolatedClient, _make_app
from tests.web.test_api import token_for
from web import create_app


@pytest.fixture
def pg_app_with(tmp_path_factory):
    """A second app on the seeded PostgreSQL test database, with its own pool and idle-ping setting."""
    _make_app("postgres", tmp_path_factory)  # creates and seeds the database (fails in CI without PostgreSQL)
    made = []

    def make(ping_after_idle: float):
        app = create_app(
            {"TESTING": True, "SQLALCHEMY_DATABASE_URI": PG_URL, "DB_PING_AFTER_IDLE_SECONDS": ping_after_idle}
        )
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def _pooled_backend(app) -> int:
    """The server process behind the pool's one connection (returned to the pool afterwards)."""
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        db.session.remove()
    return pid


def _kill(pid: int) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
        for _ in range(100):
            if not conn.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
                return
            time.sleep(0.05)
    raise AssertionError(f"backend {pid} still alive")


def test_an_idle_connection_killed_by_the_server_is_replaced_before_use(pg_app_with):
    app = pg_app_with(0)  # every checkout counts as idle
    with app.app_context():
        token = token_for("pgddt.cttt")
    dead = _pooled_backend(app)
    _kill(dead)
    with app.app_context():
        response = IsolatedClient(app).get("/api/tasks", headers=token)
    assert response.status_code == 200
    assert _pooled_backend(app) != dead


def test_a_busy_connection_killed_under_it_fails_one_request_and_the_pool_recovers(pg_app_with):
    app = pg_app_with(3600)  # never idle long enough to be pinged: the failure reaches a request
    with app.app_context():
        token = token_for("pgddt.cttt")
    dead = _pooled_backend(app)
    _kill(dead)
    with app.app_context():
        client = IsolatedClient(app)
        try:
            status = client.get("/api/tasks", headers=token).status_code
        except OperationalError:  # TESTING propagates the server error
            status = 500
        assert status == 500
        assert client.get("/api/tasks", headers=token).status_code == 200
    assert _pooled_backend(app) != dead


def test_sqlite_writers_commit_while_a_reader_holds_its_snapshot(sqlite_app):
    """The embedded database runs in write-ahead-log mode, still synchronous=FULL: a web request reading a long
    page does not make a worker's commit wait (in the rollback-journal mode a commit needs every reader gone)."""
    import sqlite3

    with sqlite_app.app_context():
        path = db.engine.url.database
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL: each commit is on disk
        db.session.rollback()
    reader = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    writer = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    try:
        reader.execute("BEGIN")
        before = reader.execute("SELECT count(*) FROM audit_event").fetchone()[0]
        writer.execute(
            "INSERT INTO audit_event (at, action, detail) VALUES ('2022-07-29 01:00:00', 'test.wal', '{}')"
        )  # autocommit: must not wait for the reader
        assert reader.execute("SELECT count(*) FROM audit_event").fetchone()[0] == before  # its snapshot holds
        reader.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM audit_event").fetchone()[0] == before + 1
    finally:
        reader.close()
        writer.close()
