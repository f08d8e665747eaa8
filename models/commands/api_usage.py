"""A token's request, counted: the actor behind a bearer token and this minute's count in one commit.

The count's commit does not wait for the disk (PostgreSQL: `synchronous_commit` off for that transaction;
SQLite: `synchronous=NORMAL` on a connection of its own, FULL again after): a crash may forget the last
requests' counts, never corrupt anything, and every request no longer pays a second fsync besides its own
work's (a task completion's commit stays durable)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, func, or_, select
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
_PG_COUNTED = _TOKEN_ACTOR.add_columns(
    select(_PG_BUMP.c.count).scalar_subquery().label("used"),
    func.set_config("synchronous_commit", "off", True).label("lazy_commit"),  # this transaction only
)
_PRUNE = delete(ApiRateWindow).where(ApiRateWindow.minute < bindparam("m") - 1)


def count_request(token_hash: str, minute: int, now: datetime) -> tuple[list, int]:
    """The token's actor rows (none: no such token, revoked, expired, or its user deactivated) and its requests
    in this minute, this one included. Commits, so the count holds whatever the request does next; the first
    request of a minute prunes windows older than the minute before."""
    params = {"h": token_hash, "m": minute, "now": now}
    if db.session.get_bind().dialect.name == "postgresql":
        rows = db.session.execute(_PG_COUNTED, params).all()
        used = rows[0].used if rows else 0
        if used == 1:
            db.session.execute(_PRUNE, params)
        db.session.commit()
        return rows, used
    rows = db.session.execute(_TOKEN_ACTOR, params).all()
    db.session.commit()
    return rows, _sqlite_count(params) if rows else 0


def _sqlite_count(params: dict) -> int:
    """The bump on a connection of its own, committed without an fsync (WAL, synchronous=NORMAL)."""
    with db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        raw.execute("PRAGMA synchronous=NORMAL")  # outside a transaction: a fresh checkout has none open
        try:
            used = conn.execute(_BUMP["sqlite"], params).scalar_one()
            if used == 1:
                conn.execute(_PRUNE, params)
            conn.commit()
        finally:
            conn.rollback()
            raw.execute("PRAGMA synchronous=FULL")
    return used


__all__ = ["count_request"]
