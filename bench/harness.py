"""What every scenario shares: a seeded app on a database of its own, an isolated HTTP client, API tokens,
timing statistics, a statement counter and the result rows the runner prints."""

from __future__ import annotations

import contextvars
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import event, select, text

from engine.core.clock import VN_TZ, clock

BENCH_DIR = Path(__file__).resolve().parent
PG_ADMIN_URL = os.environ.get("CASCADE_BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
PG_URL = os.environ.get("CASCADE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/cascade_bench")
PROTECTED_DATABASES = {"test", "cascade_test"}
START = datetime(2022, 7, 29, 8, 0, tzinfo=VN_TZ)


# ---------------------------------------------------------------------------------------------- results --
@dataclass
class Row:
    """One line of the table: a median (or single figure), its p95 and sample count, and the target."""

    scenario: str
    db: str
    metric: str
    value: float
    unit: str = "ms"
    p95: float | None = None
    n: int | None = None
    target: str = ""
    met: bool | None = None


def stats(samples: list[float]) -> tuple[float, float]:
    """(median, p95) of samples; p95 by the nearest-rank method."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(0.95 * len(ordered) + 0.5) - 1))
    return statistics.median(ordered), ordered[rank]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))
    return ordered[rank]


def timed_row(scenario, db, metric, samples_ms, *, target="", limit=None, unit="ms") -> Row:
    median, p95 = stats(samples_ms)
    return Row(
        scenario, db, metric, median, unit, p95, len(samples_ms), target, None if limit is None else median <= limit
    )


class Stopwatch:
    """`with sw: ...` appends the elapsed milliseconds to `sw.samples`."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    def __enter__(self):
        self._t = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.samples.append((time.perf_counter() - self._t) * 1000)


# ---------------------------------------------------------------------------------------------- databases --
def _pg_prepare() -> None:
    """Create `cascade_bench` through the admin database when missing; refuse any protected name."""
    import psycopg

    name = PG_URL.rsplit("/", 1)[1]
    if name in PROTECTED_DATABASES:
        raise SystemExit(f"refusing to benchmark on database '{name}'")
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _vacuum_catalogs() -> None:
    """VACUUM the system catalogs, as autovacuum would. This server runs with autovacuum off, and every scenario
    drops and recreates the schema: after a day of runs pg_attribute held 90,803 dead rows for 4,281 live ones,
    and the `api` step had slowed from 2.78 to 3.24 ms (catalog lookups while planning)."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as conn:
        bloated = conn.execute(
            "SELECT relname FROM pg_stat_sys_tables WHERE schemaname = 'pg_catalog' AND n_dead_tup > 0"
        ).fetchall()
        for (name,) in bloated:
            conn.execute(f'VACUUM pg_catalog."{name}"')


@contextmanager
def seeded_app(backend: str, **config) -> Iterator:
    """A freshly created and seeded app (schema dropped and recreated), with the engine clock frozen at the
    start of the 2022 replay. Yields the app; its database is left for inspection (SQLite: a temp file)."""
    from models import db
    from seed import run
    from web import create_app

    tmp = None
    if backend == "postgres":
        _pg_prepare()
        uri = PG_URL
    elif backend == "sqlite":
        tmp = tempfile.TemporaryDirectory(prefix="cascade-bench-")
        uri = f"sqlite:///{tmp.name}/cascade.db"
    else:
        raise SystemExit(f"unknown database '{backend}'")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": uri,
            "SERVER_NAME": "localhost",
            "WTF_CSRF_ENABLED": False,
            **config,
        }
    )
    clock.freeze(START)
    try:
        with app.app_context():
            if backend == "postgres":  # every table, also those another checkout's schema left behind
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("DROP SCHEMA public CASCADE")
                    conn.exec_driver_sql("CREATE SCHEMA public")
            else:
                db.drop_all()
            db.create_all()
            run()
            db.session.commit()
        if backend == "postgres":
            _vacuum_catalogs()
        yield app
    finally:
        clock.reset()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if tmp is not None:
            tmp.cleanup()


def durable_commit_probe(app, samples: int) -> list[float]:
    """Milliseconds of the smallest durable transaction: update one row and commit, through the app's session."""
    from models import db

    with app.app_context():
        db.session.execute(text("CREATE TABLE IF NOT EXISTS bench_probe (id INTEGER PRIMARY KEY, n INTEGER)"))
        db.session.execute(text("DELETE FROM bench_probe"))
        db.session.execute(text("INSERT INTO bench_probe (id, n) VALUES (1, 0)"))
        db.session.commit()
        sw = Stopwatch()
        for _ in range(samples):
            with sw:
                db.session.execute(text("UPDATE bench_probe SET n = n + 1 WHERE id = 1"))
                db.session.commit()
        return sw.samples


class StatementCounter:
    """Counts SQL statements sent through the app's engine while `active`."""

    def __init__(self, engine) -> None:
        self.count = 0
        self.active = False
        event.listen(engine, "before_cursor_execute", self._on)
        self._engine = engine

    def _on(self, *args, **kwargs) -> None:
        if self.active:
            self.count += 1

    @contextmanager
    def counting(self):
        from models import deferred

        self.count, self.active, ahead = 0, True, deferred.sent_ahead
        try:
            yield self
        finally:
            self.active = False
            self.count += deferred.sent_ahead - ahead  # waiting writes sent alone ahead of a statement

    def close(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._on)


# ---------------------------------------------------------------------------------------------- HTTP --------
class Client:
    """Flask's test client, each request in a fresh context (own app context and session), as in production."""

    def __init__(self, app) -> None:
        self._client = app.test_client()

    def _run(self, method: str, *args, **kwargs):
        return contextvars.Context().run(getattr(self._client, method), *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._run("get", *args, **kwargs)

    def post(self, *args, **kwargs):
        return self._run("post", *args, **kwargs)


def token_for(username: str) -> dict:
    """An API bearer header for a seeded user (call inside an app context)."""
    from models import db
    from models.org import ApiToken, User

    user = db.session.scalars(select(User).where(User.username == username)).one()
    token = secrets.token_urlsafe(24)
    db.session.add(ApiToken(user_id=user.id, name="bench", token_hash=ApiToken.hash(token)))
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def open_tasks(bpmn_id: str, **where) -> list:
    """Open inbox rows with this BPMN id (optionally by instance ids or organisation ids), oldest first."""
    from models import db
    from models.workflow import HumanTask, ProcessInstance

    db.session.rollback()  # start a fresh transaction: see what the requests committed
    stmt = select(HumanTask).join(ProcessInstance).where(HumanTask.bpmn_id == bpmn_id, HumanTask.status == "open")
    if "instance_ids" in where:
        stmt = stmt.where(HumanTask.instance_id.in_(where["instance_ids"]))
    if "org_ids" in where:
        stmt = stmt.where(ProcessInstance.org_id.in_(where["org_ids"]))
    return list(db.session.scalars(stmt.order_by(HumanTask.id)))


def deploy_bench_workflow(app, filename: str) -> None:
    """Deploy a diagram from bench/workflows through Cascade.deploy, like any other workflow."""
    from engine.core.ports import Actor
    from seed import data
    from web.deps import cascade, store

    with app.app_context():
        xml = (BENCH_DIR / "workflows" / filename).read_bytes()
        cascade().deploy(
            store(), Actor.system(), xml, source=f"bench/workflows/{filename}", known_roles=set(data.ROLES)
        )


def actor(username: str):
    """The engine Actor of a seeded user, as web.deps builds it (inside an app context)."""
    from models import db
    from models.org import User
    from web.deps import actor_for

    return actor_for(db.session.scalars(select(User).where(User.username == username)).one())


def check(response, status: int = 200) -> None:
    if response.status_code != status:
        raise RuntimeError(f"HTTP {response.status_code}: {response.get_data(as_text=True)[:500]}")


def repeat(fn: Callable[[], object], n: int) -> list[float]:
    sw = Stopwatch()
    for _ in range(n):
        with sw:
            fn()
    return sw.samples
