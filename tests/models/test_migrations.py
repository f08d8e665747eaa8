"""The Alembic migrations build the schema the models describe, on SQLite and on PostgreSQL, and go down
again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import fresh_postgres

ROOT = Path(__file__).resolve().parents[2]


def flask(env, *args):
    return subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_upgrade_matches_the_models_and_downgrades(backend, tmp_path):
    url = f"sqlite:///{tmp_path / 'migrated.db'}" if backend == "sqlite" else fresh_postgres("migrations")
    env = {**os.environ, "CASCADE_DATABASE_URL": url, "CASCADE_DEV": "1", "FLASK_APP": "wsgi.py"}
    up = flask(env, "db", "upgrade")
    assert up.returncode == 0, up.stderr[-2000:]
    check = flask(env, "db", "check")
    assert check.returncode == 0 and "No new upgrade operations detected" in check.stdout + check.stderr, (
        check.stdout + check.stderr
    )[-2000:]
    _audit_rows_cannot_change(url)
    heads = flask(env, "db", "heads")
    assert len([line for line in heads.stdout.splitlines() if "(head)" in line]) == 1, heads.stdout
    down = flask(env, "db", "downgrade", "base")
    assert down.returncode == 0, down.stderr[-2000:]


def _audit_rows_cannot_change(url: str) -> None:
    """The migrated database, not only the application, keeps the audit trail append-only."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DatabaseError

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO audit_event (at, action, detail) VALUES (CURRENT_TIMESTAMP, 'probe', '{}')"))
        for statement in ("UPDATE audit_event SET action = 'forged'", "DELETE FROM audit_event"):
            with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT action FROM audit_event")).scalars().all() == ["probe"]
    finally:
        engine.dispose()
