"""A token's request, counted: the actor behind a bearer token and this minute's count in one commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from models import db
from models.api import ApiRateWindow
from models.org import ApiToken, Organisation, User, UserRole

# The actor behind a token without ORM objects: one row per role (none: one row, role NULL).
_TOKEN_ACTOR = (
    select(
        ApiToken.id,
        ApiToken.last_used_at,
        ApiToken.scope,
        ApiToken.rate_limit,
        User.id.label("user_id"),
        User.full_name,
        Organisation.id.label("org_id"),
        Organisation.kind,
        Organisation.parent_id,
        UserRole.role,
    )
    .join(User, User.id == ApiToken.user_id)
    .join(Organisation, Organisation.id == User.org_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("h"),
        ApiToken.revoked.is_(False),
        or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > bindparam("now")),
        User.active.is_(True),
    )
)


def _bump(dialect):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(ApiRateWindow).values(token_hash=bindparam("h"), minute=bindparam("m"), count=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[ApiRateWindow.token_hash, ApiRateWindow.minute],
        set_={"count": ApiRateWindow.count + 1},
    )
    return stmt.returning(ApiRateWindow.count)


_BUMP = {name: _bump(name) for name in ("postgresql", "sqlite")}
# PostgreSQL: the count rides in front of the token's lookup, one round trip for both.
_PG_BUMP = _BUMP["postgresql"].cte("bump")
_PG_COUNTED = _TOKEN_ACTOR.add_columns(select(_PG_BUMP.c.count).scalar_subquery().label("used"))
_PRUNE = delete(ApiRateWindow).where(ApiRateWindow.minute < bindparam("m") - 1)


def count_request(token_hash: str, minute: int, now: datetime) -> tuple[list, int]:
    """The token's actor rows (none: no such token, revoked, expired, or its user deactivated) and its requests
    in this minute, this one included. Commits, so the count holds whatever the request does next; the first
    request of a minute prunes windows older than the minute before."""
    params = {"h": token_hash, "m": minute, "now": now}
    if db.session.get_bind().dialect.name == "postgresql":
        rows = db.session.execute(_PG_COUNTED, params).all()
        used = rows[0].used if rows else 0
    else:
        rows = db.session.execute(_TOKEN_ACTOR, params).all()
        used = db.session.execute(_BUMP["sqlite"], params).scalar_one() if rows else 0
    if used == 1:
        db.session.execute(_PRUNE, params)
    db.session.commit()
    return rows, used


__all__ = ["count_request"]
