"""PostgreSQL: writes that travel with the next statement.

A step's inbox close, its audit row and its state write need no answer from the database. On PostgreSQL they wait
on the connection and go as data-modifying CTEs at the head of the statement that needs an answer next (a new
task's insert, which returns its id), or together just before any other statement and before the commit: one
round trip instead of one each. Nothing can read around them: every statement on the connection sends what waits
first (`before_cursor_execute`), the session's commit sends it, and a rollback drops it with the transaction.

The pieces are SQL templates in psycopg's `%(name)s` style; `{p}` marks where a piece's prefix goes, so several
pieces (two audit rows, say) sit in one statement without their CTE or parameter names meeting. The pieces of one
statement run on one snapshot, so a piece never touches a row another waiting piece touches; the store sends
what waits before queueing a piece that would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "cascade_deferred"
_INSTALLED = "cascade_deferred_installed"
sent_ahead = 0  # statements sent ahead of another one by the hook below (statement counters add them)


@dataclass(frozen=True)
class Piece:
    ctes: tuple[str, ...]  # "name AS (…)" with {p} before every CTE and parameter name
    params: dict[str, Any]
    key: tuple | None = None  # the rows it writes, when another piece could write them too


def compose(pieces: list[Piece], final: str = "SELECT 1", own: Piece | None = None) -> tuple[str, dict]:
    ctes: list[str] = []
    params: dict[str, Any] = {}
    for n, piece in enumerate([*pieces, *([own] if own else [])]):
        prefix = "o_" if piece is own else f"d{n}_"
        ctes += [c.replace("{p}", prefix) for c in piece.ctes]
        params.update({prefix + k: v for k, v in piece.params.items()})
    final = final.replace("{p}", "o_")
    return (f"WITH {', '.join(ctes)} {final}" if ctes else final), params


def waiting(connection) -> list[Piece]:
    return connection.info.get(_KEY, [])


def defer(connection, piece: Piece) -> None:
    """Queue a write on this connection (installing the hooks that send it on the connection's engine)."""
    install(connection.engine)
    queue = connection.info.setdefault(_KEY, [])
    if piece.key is not None and any(p.key == piece.key for p in queue):
        send(connection)  # the same rows twice in one statement: the first write goes alone
        queue = connection.info.setdefault(_KEY, [])
    queue.append(piece)


def send(connection) -> None:
    """Send what waits on this connection now, in one statement."""
    pieces = connection.info.pop(_KEY, None)
    if pieces:
        connection.exec_driver_sql(*compose(pieces))


def execute_with_waiting(connection, own: Piece, final: str) -> list:
    """Run `own` (its CTEs, then `final`) with whatever waits in front of it, in one round trip."""
    install(connection.engine)
    sql, params = compose(connection.info.pop(_KEY, []), final, own)
    return connection.exec_driver_sql(sql, params).all()


def install(engine) -> None:
    if engine.dialect.name != "postgresql" or _INSTALLED in engine.__dict__:
        return
    engine.__dict__[_INSTALLED] = True

    @event.listens_for(engine, "before_cursor_execute")
    def _send_first(conn, cursor, statement, parameters, context, executemany) -> None:
        global sent_ahead
        pieces = conn.info.pop(_KEY, None)
        if pieces:  # inside SQLAlchemy's error handling for the statement that follows
            cursor.connection.cursor().execute(*compose(pieces))
            sent_ahead += 1

    @event.listens_for(engine, "rollback")
    @event.listens_for(engine, "rollback_savepoint")
    def _drop(conn, *args) -> None:
        conn.info.pop(_KEY, None)

    @event.listens_for(engine, "savepoint")
    @event.listens_for(engine, "release_savepoint")
    def _send_at_savepoint(conn, *args) -> None:
        send(conn)

    @event.listens_for(engine, "reset")
    def _forget(dbapi_connection, record, reset_state) -> None:
        record.info.pop(_KEY, None)


@event.listens_for(Session, "before_commit")
def _send_before_commit(session) -> None:
    if not session.in_transaction():
        return
    transaction = session.get_transaction()
    for connection in {c for c, *_ in transaction._connections.values()}:
        send(connection)
