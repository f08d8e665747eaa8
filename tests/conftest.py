"""Fixtures: the app on SQLite and on PostgreSQL, seeded once per session, with dynamic rows reset per test.

PostgreSQL tests use the server on 127.0.0.1:5432 (database `cascade_test`, created on demand). Outside CI
they are skipped when the server is down; with CI=true they fail instead.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import socket
from datetime import datetime

import pytest
from sqlalchemy import delete, select, text, update

from engine.core.clock import VN_TZ, clock
from seed.data import DEMO_PASSWORD

PG_ADMIN_URL = os.environ.get("CASCADE_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
PG_URL = os.environ.get("CASCADE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/cascade_test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _postgres_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            name = PG_URL.rsplit("/", 1)[1]
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return f"PostgreSQL not available: {exc}"


def fresh_postgres(suffix: str) -> str:
    """An empty PostgreSQL database of its own for a test that runs real processes on it (`<cascade_test>_<suffix>`,
    dropped and created again); skipped without a server outside CI, failed in CI."""
    name = f"{PG_URL.rsplit('/', 1)[1]}_{suffix}"
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        if IN_CI:
            pytest.fail(f"PostgreSQL not available: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    return PG_URL.rsplit("/", 1)[0] + "/" + name


_APPS: dict[str, object] = {}


def _make_app(backend: str, tmp_path_factory):
    if backend in _APPS:
        return _APPS[backend]
    if backend == "postgres":
        reason = _postgres_available()
        if reason:
            if IN_CI:
                pytest.fail(reason)
            pytest.skip(reason)
        uri = PG_URL
    else:
        uri = f"sqlite:///{tmp_path_factory.mktemp('db') / 'cascade.db'}"
    from models import db
    from web import create_app

    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": uri, "SERVER_NAME": "localhost", "WTF_CSRF_ENABLED": True}
    )
    with app.app_context():
        _empty_database(db)
        db.create_all()
        from seed import run

        run()
    _APPS[backend] = app
    return app


def _empty_database(db) -> None:
    """Drop every table, including ones a newer or older checkout left behind in the shared test database."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    else:
        db.drop_all()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def app(request, tmp_path_factory):
    """The seeded app on each database, with the clock frozen at 29/07/2022 08:00 (Vietnam time)."""
    app = _make_app(request.param, tmp_path_factory)
    clock.freeze(datetime(2022, 7, 29, 8, 0, tzinfo=VN_TZ))
    with app.app_context():
        reset_dynamic()
    yield app
    clock.reset()


def _seeded_app(backend: str, tmp_path_factory):
    """The seeded app on one database, clock frozen at 29/07/2022 08:00 (Vietnam time), workflow data reset."""
    app = _make_app(backend, tmp_path_factory)
    clock.freeze(datetime(2022, 7, 29, 8, 0, tzinfo=VN_TZ))
    with app.app_context():
        reset_dynamic()
    yield app
    clock.reset()


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def pg_app(request, tmp_path_factory):
    """PostgreSQL only, for what only PostgreSQL does (fails in CI without it, as `app` does)."""
    yield from _seeded_app("postgres", tmp_path_factory)


@pytest.fixture
def sqlite_app(tmp_path_factory):
    yield from _seeded_app("sqlite", tmp_path_factory)


def reset_dynamic() -> None:
    """Delete everything the workflows produced; restore the seeded counters and documents."""
    from models import db
    from models.decision import DecisionDefinition
    from models.document import Document, DocumentCounter, DocumentFile, DocumentRecipient, DocumentRelation
    from models.incident import EmailMessage, Incident, IncidentAttachment, IncidentUpdate, Notification
    from models.modeller import ProcessDraft
    from models.ops import OperationFailure
    from models.org import ApiToken, Organisation
    from models.report import ReportCompilation, ReportPeriod, ReportSubmission
    from models.tt124 import Tt124Cycle, Tt124Evidence, Tt124File, Tt124Override, Tt124Participation
    from models.workflow import (
        AuditEvent,
        HumanTask,
        HumanTaskCandidate,
        JsonData,
        Message,
        ProcessDefinition,
        ProcessInstance,
        Timer,
        WorkflowPart,
        WorkflowTaskRow,
    )
    from seed import data

    s = db.session
    _lift_audit_guard(s)  # tests start from the seed: the only place audit rows are ever removed
    for model in (
        OperationFailure,
        ProcessDraft,
        Tt124File,
        Tt124Evidence,
        Tt124Participation,
        Tt124Cycle,
        Tt124Override,
        ReportCompilation,
        ReportSubmission,
        ReportPeriod,
        IncidentAttachment,
        IncidentUpdate,
        Incident,
        Notification,
        EmailMessage,
        HumanTaskCandidate,
        HumanTask,
        Timer,
        Message,
        AuditEvent,
        WorkflowTaskRow,
        WorkflowPart,
        JsonData,
        ApiToken,
    ):
        s.execute(delete(model))
    s.execute(delete(DocumentFile))
    produced = select(Document.id).where(Document.issuing_instance_id.is_not(None) | Document.source.is_(None))
    s.execute(
        delete(DocumentRelation).where(DocumentRelation.from_id.in_(produced) | DocumentRelation.to_id.in_(produced))
    )
    s.execute(
        update(DocumentRecipient).values(
            instance_id=None, responded_at=None, response_document_id=None, incoming_number=None, incoming_on=None
        )
    )
    s.execute(delete(DocumentRecipient).where(DocumentRecipient.document_id.in_(produced)))
    s.execute(update(ProcessInstance).values(parent_instance_id=None, directive_id=None))
    s.execute(delete(Document).where(Document.issuing_instance_id.is_not(None) | Document.source.is_(None)))
    s.execute(delete(ProcessInstance))
    s.execute(delete(ProcessDefinition).where(ProcessDefinition.version > 1))  # versions a test deployed
    seeded = DecisionDefinition.source.like("workflows/%") & (DecisionDefinition.version == 1)
    s.execute(delete(DecisionDefinition).where(~seeded | DecisionDefinition.source.is_(None)))  # tests' decisions
    s.execute(delete(DocumentCounter))
    _reset_accounts(s, data)
    codes = {o.code: o.id for o in s.scalars(select(Organisation))}
    for item in data.COUNTERS:
        s.add(DocumentCounter(org_id=codes[item["org"]], key=item["key"], value=item["value"]))
    _restore_audit_guard(s)
    s.commit()


@functools.cache
def _demo_hash() -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(DEMO_PASSWORD)


def _reset_accounts(s, data) -> None:
    """Back to the seeded people and organisations: accounts and schools a test added go, passwords, locks and
    sessions of the seeded accounts come back."""
    from models.org import LoginFailure, Organisation, User, UserRole, bump_generation

    s.execute(delete(LoginFailure))
    seeded = [u["username"] for u in data.USERS]
    added = select(User.id).where(User.username.not_in(seeded))
    s.execute(delete(UserRole).where(UserRole.user_id.in_(added)))
    s.execute(delete(User).where(User.username.not_in(seeded)))
    s.execute(
        update(User)
        .where(User.demo_password.is_(False) | User.must_change_password.is_(True) | User.active.is_(False))
        .values(password_hash=_demo_hash(), demo_password=True, must_change_password=False, active=True)
    )
    s.execute(update(User).where(User.failed_logins > 0).values(failed_logins=0, locked_until=None))
    codes = [o["code"] for o in data.ORGANISATIONS]
    if s.scalar(select(Organisation.id).where(Organisation.code.not_in(codes) | Organisation.closed_at.is_not(None))):
        s.execute(update(Organisation).values(closed_at=None))
        s.execute(delete(Organisation).where(Organisation.code.not_in(codes)))
        bump_generation(s.connection(), Organisation.__tablename__)


def _lift_audit_guard(session) -> None:
    """Drop the append-only triggers inside the reset's transaction (PostgreSQL and SQLite both roll DDL back)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DROP TRIGGER audit_event_append_only ON audit_event"))
    else:
        session.execute(text("DROP TRIGGER audit_event_no_delete"))


def _restore_audit_guard(session) -> None:
    from models.workflow import AUDIT_GUARD_DDL

    dialect = session.get_bind().dialect.name
    wanted = {"postgresql": "audit_event_append_only", "sqlite": "audit_event_no_delete"}[dialect]
    for statement in AUDIT_GUARD_DDL[dialect]:
        if f"TRIGGER {wanted} " in statement:
            session.execute(text(statement))


class IsolatedClient:
    """A test client whose requests run in a fresh context: each request gets its own app context (own `g`,
    own database session), as in production, even while the test holds an app context for its queries."""

    def __init__(self, app):
        self._client = app.test_client()

    def __getattr__(self, name):
        method = getattr(self._client, name)
        if name not in ("get", "post", "open", "put", "delete", "patch"):
            return method

        def isolated(*args, **kwargs):
            from models import db

            db.session.expire_all()  # the test's own session sees what the request commits
            return contextvars.Context().run(method, *args, **kwargs)

        return isolated


class Browser:
    """A test client that logs in as a seeded user and posts forms with their CSRF token."""

    def __init__(self, app, username: str | None = None):
        self.app = app
        self.client = IsolatedClient(app)
        if username:
            self.login(username)

    def csrf(self, path: str) -> str:
        import re

        html = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
            r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html
        )
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str, password: str = DEMO_PASSWORD):
        token = self.csrf("/login")
        response = self.client.post("/login", data={"username": username, "password": password, "csrf_token": token})
        assert response.status_code == 302, f"login failed for {username}"
        return response

    def get(self, path: str, **kw):
        return self.client.get(path, **kw)

    def post_form(self, path: str, data: dict, form_page: str | None = None):
        payload = dict(data)
        payload["csrf_token"] = self.csrf(form_page or path)
        return self.client.post(path, data=payload)


@pytest.fixture
def browser(app):
    return lambda username=None: Browser(app, username)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink():
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    handler, port = Sink(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    yield controller, handler, port
    with contextlib.suppress(AssertionError, RuntimeError):  # a test may have left it stopped
        controller.stop()
