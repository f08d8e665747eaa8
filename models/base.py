"""The `db` object with a naming convention, and the UTC timestamp helper used by every table."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from engine.core.clock import clock

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


def ping_when_idle(engine, idle_seconds: float) -> None:
    """Pessimistic disconnect handling without a round trip on every request (what `pool_pre_ping` costs):
    a pooled connection that sat idle for `idle_seconds` is pinged when checked out, and a dead one is
    replaced (DisconnectionError makes the pool retry with a new connection). A connection in steady use goes
    straight to work; if the server went away under it, the first failing statement invalidates the whole
    pool, as SQLAlchemy does on any disconnect, and the next request starts on fresh connections."""

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _taken(dbapi_connection, record, proxy) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # just opened, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # whatever the driver raises: open a new connection instead
            raise DisconnectionError(f"idle connection failed its ping: {exc}") from exc


def sqlite_write_ahead_log(engine) -> None:
    """SQLite in write-ahead-log mode, still durable (`synchronous=FULL`: every commit is on disk when it
    returns). Readers no longer wait for a writer nor block its commit, so web and worker processes on one
    file get along, and a commit is one append and one fsync instead of journal, database and their fsyncs.
    The mode belongs to the file; setting it on every connection is a no-op once it is set."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()


def utcnow() -> datetime:
    """Now, from the engine's clock (so a replayed year stamps its rows in that year)."""
    return clock.now()


class UTCDateTime(TypeDecorator):
    """Stores UTC and always returns timezone-aware UTC datetimes, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
