"""A token's request count (models.commands.api_usage): committed on its own before the request's work, which
still runs as one transaction on the connection after it (on PostgreSQL the count is an autocommit statement on
a pooled connection: it must hand that connection back transactional), on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets

from sqlalchemy import select, update

from engine.core.clock import clock
from models import db
from models.api import ApiRateWindow
from models.commands import api_usage
from models.org import ApiToken, User
from tests.conftest import IsolatedClient
from tests.support.walk import open_task


def _token(username: str, rate_limit: int | None = None) -> str:
    user = db.session.scalars(select(User).where(User.username == username)).one()
    token = secrets.token_urlsafe(24)
    db.session.add(ApiToken(user_id=user.id, name="count", token_hash=ApiToken.hash(token), rate_limit=rate_limit))
    db.session.commit()
    return token


def _stored_count(token_hash: str, minute: int) -> int | None:
    with db.engine.connect() as other:  # another connection: only what was committed
        return other.execute(
            select(ApiRateWindow.count).where(ApiRateWindow.token_hash == token_hash, ApiRateWindow.minute == minute)
        ).scalar()


def test_the_count_is_committed_and_the_work_after_it_is_one_transaction(app):
    with app.app_context():
        token_hash = ApiToken.hash(_token("pgddt.cttt"))
        db.session.remove()
        minute = 29_000_000
        rows, used = api_usage.count_request(token_hash, minute, clock.now())
        assert used == 1 and {r.role for r in rows} and rows[0].full_name
        assert _stored_count(token_hash, minute) == 1

        # the session's work after the count: a write rolled back leaves nothing
        if db.engine.dialect.name == "postgresql":
            assert db.session.connection().connection.dbapi_connection.autocommit is False
        db.session.execute(update(ApiToken).where(ApiToken.token_hash == token_hash).values(name="changed"))
        db.session.rollback()
        assert db.session.scalars(select(ApiToken.name).where(ApiToken.token_hash == token_hash)).one() == "count"
        db.session.remove()

        assert api_usage.count_request(token_hash, minute, clock.now())[1] == 2
        assert _stored_count(token_hash, minute) == 2
        nobody, none_used = api_usage.count_request(ApiToken.hash("no such token"), minute, clock.now())
        assert nobody == [] and none_used == 0


def test_a_refused_completion_is_counted_and_a_good_one_commits_whole(app):
    with app.app_context():
        token = _token("pgddt.cttt", rate_limit=4)
        headers = {"Authorization": f"Bearer {token}"}
        client = IsolatedClient(app)
        started = client.post("/api/processes/directive_plan/instances", headers=headers, json={})
        assert started.status_code == 201 and started.headers["X-RateLimit-Remaining"] == "3"
        task = open_task("draft_plan", instance_id=started.get_json()["id"]).id
        db.session.remove()
        refused = client.post(f"/api/tasks/{task}/complete", headers=headers, json={"han_nop": "not a date"})
        assert refused.status_code == 422 and refused.headers["X-RateLimit-Remaining"] == "2"
        assert open_task("draft_plan", instance_id=started.get_json()["id"]).status == "open"
        db.session.remove()
        form = {"loai_van_ban": "KH", "trich_yeu": "Kế hoạch", "noi_dung": "…", "han_nop": "2022-08-31"}
        done = client.post(f"/api/tasks/{task}/complete", headers=headers, json=form)
        assert done.status_code == 200 and done.headers["X-RateLimit-Remaining"] == "1"
        assert open_task("approve_plan", instance_id=started.get_json()["id"]).status == "open"
        db.session.remove()
        assert client.get("/api/me", headers=headers).status_code == 200
        assert client.get("/api/me", headers=headers).status_code == 429
