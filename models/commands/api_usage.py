"""A token's request, counted: the actor behind a bearer token and this minute's count in one commit.

The count's commit does not wait for the disk (PostgreSQL: `synchronous_commit` off for that transaction;
SQLite: `synchronous=NORMAL` on a connection of its own, FULL again after): a crash may forget the last
requests' counts, never corrupt anything, and every request no longer pays a second fsync besides its own
work's (a task completion's commit stays durable).

On PostgreSQL the lookup and the count are one statement run in autocommit on a pooled connection of its own
(checked out before the request's session takes one, so the same connection serves both in turn): one round
trip, where a session transaction cost three (BEGIN, the statement, COMMIT); its prebuilt SQL goes straight to
the driver, which prepares it on the server after a few uses."""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

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


def _psycopg_sql(stmt) -> tuple[str, dict]:
    """A statement as the psycopg dialect writes it, with its constant parameters."""
    compiled = stmt.compile(dialect=postgresql.psycopg.dialect())
    return compiled.string, {k: v for k, v in compiled.params.items() if v is not None}


_PG_COUNTED_SQL, _PG_COUNTED_CONSTANTS = _psycopg_sql(_PG_COUNTED)
_PG_PRUNE_SQL, _PG_PRUNE_CONSTANTS = _psycopg_sql(_PRUNE)


def count_request(token_hash: str, minute: int, now: datetime) -> tuple[list, int]:
    """The token's actor rows (none: no such token, revoked, expired, or its user deactivated) and its requests
    in this minute, this one included. Commits, so the count holds whatever the request does next; the first
    request of a minute prunes windows older than the minute before."""
    params = {"h": token_hash, "m": minute, "now": now}
    if db.engine.dialect.name == "postgresql":
        return _pg_count(params)
    return _sqlite_count(params)


def _pg_count(params: dict) -> tuple[list, int]:
    """Lookup and count in one autocommit statement (its own implicit transaction) on a pooled connection."""
    with db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        raw.autocommit = True  # a fresh checkout is idle: no transaction to end
        try:
            with raw.cursor(row_factory=namedtuple_row) as cur:
                rows = cur.execute(_PG_COUNTED_SQL, {**_PG_COUNTED_CONSTANTS, **params}).fetchall()
                used = rows[0].used if rows else 0
                if used == 1:
                    cur.execute(_PG_PRUNE_SQL, {**_PG_PRUNE_CONSTANTS, "m": params["m"]})
        except psycopg.Error as exc:  # as SQLAlchemy raises it everywhere else (a lost server: OperationalError)
            conn.invalidate()  # whatever state the failure left: this connection goes no further
            raise DBAPIError.instance(_PG_COUNTED_SQL, None, exc, psycopg.Error, connection_invalidated=True) from exc
        except BaseException:
            conn.invalidate()
            raise
        raw.autocommit = False  # the pool hands it to a session next
    return rows, used


def _sqlite_count(params: dict) -> tuple[list, int]:
    """Lookup and bump on a connection of its own, committed without an fsync (WAL, synchronous=NORMAL)."""
    with db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        raw.execute("PRAGMA synchronous=NORMAL")  # outside a transaction: a fresh checkout has none open
        try:
            rows = conn.execute(_TOKEN_ACTOR, params).all()
            used = conn.execute(_BUMP["sqlite"], params).scalar_one() if rows else 0
            if used == 1:
                conn.execute(_PRUNE, params)
            conn.commit()
        finally:
            conn.rollback()
            raw.execute("PRAGMA synchronous=FULL")
    return rows, used


__all__ = ["count_request"]
